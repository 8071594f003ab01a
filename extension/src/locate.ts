// Where a service is declared: the server's range when it sends one, else the compose file's document symbols.
import * as vscode from 'vscode';
import type { ProjectInfo, Range, ServiceInfo } from './protocol';

export interface Declaration { uri: vscode.Uri; range: vscode.Range }

export async function locateService(project: ProjectInfo, service: ServiceInfo): Promise<Declaration | undefined> {
  if (service.uri) return { uri: vscode.Uri.parse(service.uri), range: toRange(service.range) };
  for (const file of project.configFiles) {
    const uri = file.includes('://') ? vscode.Uri.parse(file) : vscode.Uri.file(file);
    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[] | undefined>(
      'vscode.executeDocumentSymbolProvider',
      uri,
    );
    const found = findUnder(symbols ?? [], 'services', service.name);
    if (found) return { uri, range: found.selectionRange };
  }
  return undefined;
}

/** The symbol `name` that is a child of a symbol called `parent`, anywhere in the outline. */
function findUnder(symbols: vscode.DocumentSymbol[], parent: string, name: string): vscode.DocumentSymbol | undefined {
  for (const symbol of symbols) {
    if (symbol.name === parent) {
      const child = symbol.children.find((c) => c.name === name);
      if (child) return child;
    }
    const deeper = findUnder(symbol.children, parent, name);
    if (deeper) return deeper;
  }
  return undefined;
}

function toRange(range: Range | undefined): vscode.Range {
  if (!range) return new vscode.Range(0, 0, 0, 0);
  return new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
}
