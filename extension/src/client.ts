// The language client: finds and starts the server (bundled or installed), keeps its settings in sync, and answers typed requests.
import * as vscode from 'vscode';
import { ErrorCodes, ResponseError } from 'vscode-languageclient';
import { DidChangeConfigurationNotification, ExecuteCommandRequest, type LanguageClient, State } from 'vscode-languageclient/node';
import { createLanguageClient } from './languageClient';
import { Notifications, type LifecycleTarget } from './protocol';
import { findServer } from './python';
import { withSlowProgress } from './slowProgress';
import { configurationUpdate, explicitOptions, serverOptionKeys } from './settings';

export type Reply<T> = { ok: true; value: T } | { ok: false; reason: 'notRunning' | 'notServed' | 'failed'; message: string };
export type ClientState = 'starting' | 'running' | 'stopped' | 'failed';

export class DockhandClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private sent: Record<string, unknown> = {};
  private readonly keys: string[];
  private readonly stateEmitter = new vscode.EventEmitter<ClientState>();
  private readonly notificationEmitter = new vscode.EventEmitter<{ method: string; params: unknown }>();
  readonly onDidChangeState = this.stateEmitter.event;
  readonly onNotification = this.notificationEmitter.event;
  state: ClientState = 'stopped';
  problem: { message: string; fix: string } | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly activatedAt = Date.now(),
  ) {
    const properties = (context.extension.packageJSON as { contributes: { configuration: { properties: Record<string, unknown> } } })
      .contributes.configuration.properties;
    this.keys = serverOptionKeys(properties);
  }

  async start(): Promise<boolean> {
    this.setState('starting');
    // A first start compiles the bundled server's bytecode: say so when it takes more than a second.
    return withSlowProgress('Dockhand: starting the language server…', () => this.launch());
  }

  private async launch(): Promise<boolean> {
    const found = await findServer(this.context);
    if (!found.ok) {
      this.problem = { message: found.message, fix: found.fix };
      this.log.error(`${found.message} ${found.fix}`);
      this.setState('failed');
      return false;
    }
    const server = found.server;
    this.problem = undefined;
    const code = server.bundled ? `the server bundled with the extension (dockhand ${server.dockhandVersion})` : `dockhand ${server.dockhandVersion} installed there`;
    this.log.info(`Starting the Dockhand server with ${server.python} (Python ${server.version}, from the ${server.source}): ${code}`);
    this.sent = this.options();
    const client = createLanguageClient(server, this.log, { ...this.sent, trusted: vscode.workspace.isTrusted }, () =>
      this.log.info(`First diagnostics ${this.sinceActivation()} s after activation`),
    );
    for (const method of Object.values(Notifications)) {
      client.onNotification(method, (params: unknown) => this.notificationEmitter.fire({ method, params }));
    }
    client.onDidChangeState((e) => this.setState(e.newState === State.Running ? 'running' : e.newState === State.Starting ? 'starting' : 'stopped'));
    this.client = client;
    try {
      await client.start();
      this.log.info(`Server running ${this.sinceActivation()} s after activation`);
      return true;
    } catch (err) {
      this.problem = { message: `The Dockhand server did not start: ${String(err)}`, fix: 'See Output › Dockhand for its log.' };
      this.log.error(this.problem.message);
      this.setState('failed');
      return false;
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client?.isRunning()) await client.stop(5000).catch((err: unknown) => this.log.warn(`stop: ${String(err)}`));
    await client?.dispose().catch(() => undefined);
    this.setState('stopped');
  }

  async restart(): Promise<boolean> {
    await this.stop();
    return this.start();
  }

  /** A custom request; a server that does not serve it yet answers MethodNotFound, which is not an error here. */
  async request<T>(method: string, params: object = {}): Promise<Reply<T>> {
    const client = this.client;
    if (!client || client.state !== State.Running) {
      return { ok: false, reason: 'notRunning', message: this.problem ? `${this.problem.message} ${this.problem.fix}` : 'The Dockhand server is not running.' };
    }
    try {
      return { ok: true, value: await client.sendRequest<T>(method, params) };
    } catch (err) {
      if (err instanceof ResponseError && err.code === ErrorCodes.MethodNotFound) {
        return { ok: false, reason: 'notServed', message: `This Dockhand server does not answer ${method} yet.` };
      }
      return { ok: false, reason: 'failed', message: err instanceof Error ? err.message : String(err) };
    }
  }

  executeServerCommand(command: string, target: LifecycleTarget): Promise<Reply<unknown>> {
    return this.request(ExecuteCommandRequest.method, { command, arguments: [target] });
  }

  /** Push changed settings (and the trust flag) to a running server. */
  sendConfiguration(): void {
    if (!this.client?.isRunning()) return;
    const current = this.options();
    const defaults = vscode.workspace.getConfiguration('dockhand');
    const update = configurationUpdate(this.sent, current, (key) => defaults.inspect(key)?.defaultValue);
    this.sent = current;
    void this.client.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { dockhand: { ...update, trusted: vscode.workspace.isTrusted } },
    });
  }

  private sinceActivation(): string {
    return ((Date.now() - this.activatedAt) / 1000).toFixed(2);
  }

  private options(): Record<string, unknown> {
    const config = vscode.workspace.getConfiguration('dockhand');
    return explicitOptions(this.keys, (key) => config.inspect(key));
  }

  private setState(state: ClientState): void {
    this.state = state;
    this.stateEmitter.fire(state);
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
    this.notificationEmitter.dispose();
  }
}
