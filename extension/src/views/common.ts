// What every Dockhand tree shares: coalesced refreshes and a helpful message when there is nothing to show.
import * as vscode from 'vscode';
import type { DockhandClient, Reply } from '../client';

/** The line shown on top of a tree when the server cannot give it data. */
export function replyMessage(reply: Reply<unknown>): string | undefined {
  if (reply.ok) return undefined;
  switch (reply.reason) {
    case 'notRunning':
      return `${reply.message} See Output › Dockhand, then run "Dockhand: Restart Server".`;
    case 'notServed':
      return `${reply.message} Update Dockhand to see this view.`;
    default:
      return `The Dockhand server failed to answer: ${reply.message}`;
  }
}

/**
 * Runs one load at a time: calls made while it runs collapse into a single follow-up run, so a burst of
 * notifications costs two requests, not fifty.
 */
export class Coalesced {
  private inFlight: Promise<void> | undefined;
  private again = false;

  constructor(private readonly load: () => Promise<void>) {}

  run(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = this.load().finally(() => {
      this.inFlight = undefined;
      if (this.again) {
        this.again = false;
        void this.run();
      }
    });
    return this.inFlight;
  }
}

/**
 * A tree whose data comes from one request, refreshed through a Coalesced load.
 */
export abstract class RequestTree<T, N> implements vscode.TreeDataProvider<N>, vscode.Disposable {
  protected data: T | undefined;
  private readonly changed = new vscode.EventEmitter<N | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly loadedEmitter = new vscode.EventEmitter<T | undefined>();
  readonly onDidLoad = this.loadedEmitter.event;
  view: vscode.TreeView<N> | undefined;
  private readonly loads = new Coalesced(() => this.load());

  constructor(protected readonly client: DockhandClient) {}

  protected abstract fetch(): Promise<Reply<T>>;
  protected abstract emptyMessage(data: T): string | undefined;
  abstract getTreeItem(node: N): vscode.TreeItem;
  abstract getChildren(node?: N): vscode.ProviderResult<N[]>;

  refresh(): Promise<void> {
    return this.loads.run();
  }

  private async load(): Promise<void> {
    const reply = await this.fetch();
    this.data = reply.ok ? reply.value : undefined;
    if (this.view) this.view.message = reply.ok ? this.emptyMessage(reply.value) : replyMessage(reply);
    this.onLoaded();
    this.changed.fire(undefined);
    this.loadedEmitter.fire(this.data);
  }

  /** Hook for subclasses that derive caches from fresh data. */
  protected onLoaded(): void {}

  dispose(): void {
    this.changed.dispose();
    this.loadedEmitter.dispose();
  }
}

export function themeIcon(id: string, color?: string): vscode.ThemeIcon {
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}
