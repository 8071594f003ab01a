// The Swarm rows of the Services tree: a stack, its services (mode, running/desired, update state) and their tasks.
import * as vscode from 'vscode';
import type { StackInfo, StackServiceInfo, StackTaskInfo } from '../protocol';
import { themeIcon } from './common';

const collapsed = vscode.TreeItemCollapsibleState;

export function stackItem(stack: StackInfo): vscode.TreeItem {
  const item = new vscode.TreeItem(stack.name, collapsed.Expanded);
  item.description = 'Swarm stack';
  item.iconPath = themeIcon('server-environment');
  item.contextValue = 'stack';
  item.id = `stack:${stack.name}`;
  return item;
}

export function stackServiceItem(stack: StackInfo, s: StackServiceInfo): vscode.TreeItem {
  const item = new vscode.TreeItem(s.name, s.tasks.length ? collapsed.Collapsed : collapsed.None);
  const full = s.desired === null || s.running >= s.desired;
  item.description = `${s.mode} · ${s.running}/${s.desired ?? '∞'} running${s.updateState ? ` · update ${s.updateState}` : ''}`;
  item.iconPath = themeIcon(full ? 'pass' : 'warning', full ? 'testing.iconPassed' : 'list.warningForeground');
  item.contextValue = 'stackService';
  item.id = `stack:${stack.name}/${s.name}`;
  if (s.lastError) item.tooltip = `${s.name}: ${s.lastError}`;
  return item;
}

export function taskItem(t: StackTaskInfo): vscode.TreeItem {
  const item = new vscode.TreeItem(t.name, collapsed.None);
  const actuator = t.actuator ? ` · Actuator ${t.actuator}` : '';
  item.description = `${t.node} · ${t.state}${t.desired !== t.state ? ` (desired ${t.desired})` : ''}${t.error ? ` · ${t.error}` : ''}${actuator}`;
  item.iconPath = themeIcon(t.state === 'running' ? 'debug-start' : t.error ? 'error' : 'circle-outline');
  item.contextValue = 'task';
  return item;
}
