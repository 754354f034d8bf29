/**
 * "Model Router: Open Cost Dashboard": one webview panel (a second open reveals it) whose page is the bundle in
 * `media/dist/` (media/dashboard/*.ts, built by esbuild). The message handling lives in {@link DashboardController}
 * (no `vscode`); this file only adapts it to a `WebviewPanel`.
 *
 * Wiring (the container): implement {@link DashboardHost} over the ledger and settings, then
 *   register `DashboardPanel.createOrShow(context.extensionUri, host, log)` as the command, and
 *   `registerDashboardSerializer(context.extensionUri, host, log)` once in `activate()` (both disposables owned).
 *
 * Security: scripts only with a per-load nonce from `crypto.randomBytes`, CSP `default-src 'none'`,
 * `localResourceRoots` only `media/dist` (the bundle, its styles and the codicon font), no remote resource, no
 * command URIs, every message validated.
 */
import * as vscode from 'vscode';

import type { DashboardRange } from '../../core/ledger/dashboard';
import { createNonce, dashboardHtml } from '../../webview/dashboardHtml';
import type { DashboardCommand } from '../../webview/protocol';
import { isRange } from '../../webview/protocol';
import { CommandId } from '../commandIds';
import { Disposable } from '../lifecycle';
import type { DashboardHost, DashboardLog } from './dashboardController';
import { DashboardController } from './dashboardController';

/** The panel's view type: the serializer's key (keep in sync with an `onWebviewPanel:` activation event, if any). */
export const DASHBOARD_VIEW_TYPE = 'modelRouter.dashboard';
export const DASHBOARD_TITLE = 'Model Router Costs';

/** What the serializer keeps across a window reload (the webview's `setState`, read back by VS Code). */
export interface DashboardPanelState {
  readonly rangeDays: DashboardRange;
}

function distUri(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'media', 'dist');
}

/** Webview options: scripts on, resources only from `media/dist`, no command URIs. */
export function dashboardWebviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, enableCommandUris: false, localResourceRoots: [distUri(extensionUri)] };
}

/** The range a restored page saved, if it is one (the state comes from the webview: untrusted). */
function rangeOfState(state: unknown): DashboardRange | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const range = (state as { rangeDays?: unknown }).rangeDays;
  return isRange(range) ? range : undefined;
}

async function runDashboardCommand(command: DashboardCommand): Promise<void> {
  switch (command) {
    case 'setApiKey':
      await vscode.commands.executeCommand(CommandId.setApiKey);
      return;
    case 'showLog':
      await vscode.commands.executeCommand(CommandId.showLog);
      return;
    case 'openSettings':
      await vscode.commands.executeCommand('workbench.action.openSettings', 'modelRouter.');
      return;
  }
}

export class DashboardPanel extends Disposable {
  /** The one open panel (createOrShow reveals it); cleared when it is disposed. */
  static #current: DashboardPanel | undefined;

  /** Reveals the open dashboard, or opens one beside the active editor group. */
  public static createOrShow(extensionUri: vscode.Uri, host: DashboardHost, log: DashboardLog): DashboardPanel {
    const current = DashboardPanel.#current;
    if (current) {
      current.panel.reveal();
      return current;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, DASHBOARD_TITLE, vscode.ViewColumn.Active, {
      ...dashboardWebviewOptions(extensionUri),
      retainContextWhenHidden: false,
    });
    return new DashboardPanel(panel, extensionUri, host, log, undefined);
  }

  /** Takes over a panel VS Code restored after a reload (the serializer calls this). */
  public static revive(
    panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    host: DashboardHost,
    log: DashboardLog,
    state: unknown,
  ): DashboardPanel {
    DashboardPanel.#current?.dispose();
    return new DashboardPanel(panel, extensionUri, host, log, rangeOfState(state));
  }

  /** The open panel, if any (tests, and commands that want to refresh it). */
  public static get current(): DashboardPanel | undefined {
    return DashboardPanel.#current;
  }

  private readonly controller: DashboardController;

  private constructor(
    public readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    host: DashboardHost,
    log: DashboardLog,
    rangeDays: DashboardRange | undefined,
  ) {
    super();
    DashboardPanel.#current = this;
    this._register({ dispose: () => DashboardPanel.#current === this && (DashboardPanel.#current = undefined) });
    const webview = panel.webview;
    webview.options = dashboardWebviewOptions(extensionUri);
    this.controller = this._register(
      new DashboardController({
        host,
        log,
        post: (message) => webview.postMessage(message),
        runCommand: runDashboardCommand,
        isVisible: () => panel.visible,
        ...(rangeDays === undefined ? {} : { rangeDays }),
      }),
    );
    this._register(webview.onDidReceiveMessage((message: unknown) => this.controller.receive(message)));
    this._register(panel.onDidChangeViewState((event) => this.controller.visibilityChanged(event.webviewPanel.visible)));
    // Closing the panel disposes it; disposing this object closes the panel.
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(panel);
    const dist = distUri(extensionUri);
    webview.html = dashboardHtml({
      cspSource: webview.cspSource,
      nonce: createNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'dashboard.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'dashboard.css')).toString(),
    });
    log.debug(`Dashboard opened (${this.controller.range} days)`);
  }

  /** The range shown now. */
  public get rangeDays(): DashboardRange {
    return this.controller.range;
  }
}

/**
 * Restores the dashboard after a window reload, on the range it showed (the page saves it with `setState`). Call
 * once in `activate()` and own the result.
 */
export function registerDashboardSerializer(
  extensionUri: vscode.Uri,
  host: DashboardHost,
  log: DashboardLog,
): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
      DashboardPanel.revive(panel, extensionUri, host, log, state);
    },
  });
}
