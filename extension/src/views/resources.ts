// Resources view: running services with CPU, memory (used/limit), network and block I/O, sortable by each.
// It needs no request of its own: it shows the figures of the Services tree's last dockhand/services answer.
import * as vscode from 'vscode';
import { memoryShare, nextSort, resourceDescription, resourceRows, SORT_LABELS, type ResourceRow, type ResourceSort } from '../resourceFormat';
import type { ServicesResult } from '../protocol';
import { themeIcon } from './common';

export class ResourcesTree implements vscode.TreeDataProvider<ResourceRow>, vscode.Disposable {
  private data: ServicesResult | undefined;
  private sort: ResourceSort = 'cpu';
  private readonly changed = new vscode.EventEmitter<ResourceRow | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  view: vscode.TreeView<ResourceRow> | undefined;

  show(data: ServicesResult | undefined): void {
    this.data = data;
    if (this.view) {
      const rows = resourceRows(data?.projects ?? [], this.sort);
      this.view.message = rows.length ? undefined : 'No figures yet: they appear for running services of this workspace.';
      this.view.description = `by ${SORT_LABELS[this.sort]}`;
    }
    this.changed.fire(undefined);
  }

  /** Sort by the next key (CPU → memory → network → block I/O → name); returns the new key. */
  cycleSort(): ResourceSort {
    this.sort = nextSort(this.sort);
    this.show(this.data);
    return this.sort;
  }

  getChildren(row?: ResourceRow): ResourceRow[] {
    return row ? [] : resourceRows(this.data?.projects ?? [], this.sort);
  }

  getTreeItem(row: ResourceRow): vscode.TreeItem {
    const item = new vscode.TreeItem(row.service.name, vscode.TreeItemCollapsibleState.None);
    item.id = `resources:${row.project}/${row.service.name}`;
    item.description = resourceDescription(row.resources);
    item.tooltip = `${row.project} / ${row.service.name}\n${resourceDescription(row.resources)}`;
    const share = memoryShare(row.resources);
    item.iconPath = share !== undefined && share >= 0.9 ? themeIcon('warning', 'charts.yellow') : themeIcon('pulse');
    item.contextValue = 'resourceRow';
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
