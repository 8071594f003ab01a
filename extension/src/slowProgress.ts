// A progress notification for work that turns out slow, and none for work that finishes at once.
import * as vscode from 'vscode';

/** Run `work`; when it has not finished after `afterMs`, show a progress notification until it does. */
export async function withSlowProgress<T>(title: string, work: () => Promise<T>, afterMs = 1000): Promise<T> {
  const running = work();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const slow = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), afterMs); });
  const stillRunning = await Promise.race([running.then(() => false, () => false), slow]);
  clearTimeout(timer);
  if (stillRunning) {
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, () => running.catch(() => undefined));
  }
  return running;
}
