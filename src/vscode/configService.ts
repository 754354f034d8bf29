/**
 * The configuration in force, kept current: built-in defaults < user YAML (`modelRouter.configFile`, else the CLI's
 * ~/.config/model-router/config.yaml) < workspace `.model-router.yaml` (trusted workspaces only) < VS Code settings,
 * then the user's own environment (*_BASE_URL: proxies, gateways, `npm run dev -- --demo`), the machine-scoped local
 * server URL, and the keys stored in SecretStorage.
 *
 * A file that does not validate keeps its last good version in force; its problems go to the Problems panel with file,
 * line and key, and the user is told once per change. Reloads on settings, file, trust, folder and key changes.
 */
import * as os from 'node:os';
import * as path from 'node:path';

import * as vscode from 'vscode';

import type { ConfigStore } from '../core/config/configStore';
import type { ConfigDiagnostic } from '../core/config/diagnostics';
import { defaultUserConfigPath, WORKSPACE_CONFIG_FILE } from '../core/config/paths';
import { withStoredKeys } from '../core/config/storedKeys';
import type { Config } from '../core/config/types';
import { errorMessage } from '../core/util/errorMessage';
import { loadEngine } from './engine';
import type { KeyStore } from './keys';
import { Disposable } from './lifecycle';
import type { Log } from './log';
import type { ExtensionSettings } from './settings';
import { readSettings, resolveWithSettings, SETTINGS_SECTION } from './settings';

export interface ConfigState {
  readonly config: Config;
  readonly settings: ExtensionSettings;
  readonly userFile: string;
  /** The workspace file when a folder is open (whether or not it was applied). */
  readonly workspaceFile?: string;
  readonly workspaceTrusted: boolean;
  /** Sentences about what was left out and why (untrusted workspace, a workspace base URL ignored, ...). */
  readonly ignored: readonly string[];
  readonly diagnostics: readonly ConfigDiagnostic[];
}

/** The file's text and size; a file over the size bound is not read (the loader reports its size). */
async function readText(file: string, maxBytes: number): Promise<{ text: string; bytes: number } | undefined> {
  try {
    const uri = vscode.Uri.file(file);
    const { size } = await vscode.workspace.fs.stat(uri);
    if (size > maxBytes) return { text: '', bytes: size };
    const bytes = await vscode.workspace.fs.readFile(uri);
    return { text: new TextDecoder().decode(bytes), bytes: bytes.byteLength };
  } catch (error) {
    if (error instanceof vscode.FileSystemError && error.code === 'FileNotFound') return undefined;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw error;
  }
}

export class ConfigService extends Disposable {
  private store: ConfigStore | undefined;
  private state: ConfigState | undefined;
  private pending: Promise<ConfigState> | undefined;
  private queued = false;
  private readonly diagnostics = this._register(vscode.languages.createDiagnosticCollection('model-router'));
  private readonly changed = this._register(new vscode.EventEmitter<ConfigState>());
  private watchers: vscode.Disposable[] = [];
  private lastAnnounced = '';
  /** The configuration changed (not fired for the first load). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly keys: KeyStore,
    private readonly log: Log,
  ) {
    super();
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(SETTINGS_SECTION)) this.reload('settings changed');
      }),
    );
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.reload('workspace trusted')));
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.reload('workspace folders changed')));
    this._register(keys.onDidChange(() => this.reload('keys changed')));
    this._register({ dispose: () => this.disposeWatchers() });
  }

  /** The state in force; the first call loads it. */
  async get(): Promise<ConfigState> {
    if (this.state) return this.state;
    return this.reloadNow('first use');
  }

  /** The state if already loaded (for views that must not trigger loading). */
  get current(): ConfigState | undefined {
    return this.state;
  }

  /** Schedules a reload (coalesced); listeners hear the result. */
  reload(reason: string): void {
    if (!this.state && !this.pending) return; // nothing loaded yet: the first get() reads everything fresh
    void this.reloadNow(reason).catch((error: unknown) => this.log.error(error instanceof Error ? error : String(error)));
  }

  private reloadNow(reason: string): Promise<ConfigState> {
    if (this.pending) {
      this.queued = true;
      return this.pending;
    }
    const run = async (): Promise<ConfigState> => {
      let state: ConfigState;
      do {
        this.queued = false;
        state = await this.load(reason);
      } while (this.queued && !this.isDisposed);
      return state;
    };
    this.pending = run().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async load(reason: string): Promise<ConfigState> {
    const engine = loadEngine();
    this.store ??= new engine.ConfigStore();
    const settings = readSettings(vscode.workspace.getConfiguration(SETTINGS_SECTION));
    this.log.setLevel(settings.logLevel);
    const userFile = settings.configFile ?? defaultUserConfigPath(process.env, os.homedir());
    const folder = vscode.workspace.workspaceFolders?.[0];
    const workspaceFile = folder?.uri.scheme === 'file' ? path.join(folder.uri.fsPath, WORKSPACE_CONFIG_FILE) : undefined;
    const workspaceTrusted = vscode.workspace.isTrusted;

    const user = await readText(userFile, engine.MAX_CONFIG_FILE_BYTES);
    this.store.update(userFile, user?.text, user?.bytes);
    let workspaceExists = false;
    if (workspaceFile) {
      // An untrusted workspace's file is never parsed; only its existence is checked, to tell the user why it is ignored.
      const workspace = workspaceTrusted ? await readText(workspaceFile, engine.MAX_CONFIG_FILE_BYTES) : undefined;
      workspaceExists = workspaceTrusted ? workspace !== undefined : await exists(workspaceFile);
      if (workspaceTrusted) this.store.update(workspaceFile, workspace?.text, workspace?.bytes);
    }
    const store = this.store;
    const resolution = resolveWithSettings(
      settings,
      (layer) =>
        store.resolve({
          user: userFile,
          ...(workspaceFile && workspaceTrusted ? { workspace: workspaceFile } : {}),
          workspaceTrusted,
          settings: layer,
        }),
      (config, preset) => engine.presetAssignments(config, preset),
    );
    const ignored = [...resolution.ignored];
    if (workspaceFile && workspaceExists && !workspaceTrusted) {
      ignored.push(`${WORKSPACE_CONFIG_FILE} of this workspace is ignored: the workspace is not trusted (Manage Workspace Trust to apply it).`);
    }
    let config = resolution.config;
    try {
      config = engine.applyEnvironment(config, process.env).config;
    } catch (error) {
      ignored.push(`${errorMessage(error)} The variable is ignored.`);
    }
    if (settings.localBaseUrl && config.providers.local) {
      config = { ...config, providers: { ...config.providers, local: { ...config.providers.local, baseUrl: settings.localBaseUrl } } };
    }
    config = withStoredKeys(config, await this.keys.list());

    const diagnostics = [...resolution.diagnostics];
    this.publishDiagnostics(diagnostics);
    this.watch(userFile, workspaceFile);
    const state: ConfigState = {
      config,
      settings,
      userFile,
      ...(workspaceFile ? { workspaceFile } : {}),
      workspaceTrusted,
      ignored,
      diagnostics,
    };
    const first = this.state === undefined;
    this.state = state;
    this.log.debug(`Configuration loaded (${reason}): user file ${userFile}${workspaceFile ? `, workspace file ${workspaceFile}` : ''}.`);
    this.announce(state);
    if (!first) this.changed.fire(state);
    return state;
  }

  private publishDiagnostics(diagnostics: readonly ConfigDiagnostic[]): void {
    this.diagnostics.clear();
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const d of diagnostics) {
      if (d.file === 'settings') continue;
      const line = Math.max(0, (d.line ?? 1) - 1);
      const column = Math.max(0, (d.column ?? 1) - 1);
      const diagnostic = new vscode.Diagnostic(
        new vscode.Range(line, column, line, column + Math.max(1, d.key.split('.').pop()?.length ?? 1)),
        d.key ? `${d.key}: ${d.message}` : d.message,
        d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
      );
      diagnostic.source = 'Model Router';
      const list = byFile.get(d.file) ?? [];
      list.push(diagnostic);
      byFile.set(d.file, list);
    }
    for (const [file, list] of byFile) this.diagnostics.set(vscode.Uri.file(file), list);
  }

  /** Tells the user (once per distinct set of problems) about errors, ignored files and invalid settings. */
  private announce(state: ConfigState): void {
    const engine = loadEngine();
    const errors = state.diagnostics.filter((d) => d.severity === 'error');
    for (const d of state.diagnostics) (d.severity === 'error' ? this.log.error.bind(this.log) : this.log.warn.bind(this.log))(engine.formatDiagnostic(d));
    for (const sentence of state.ignored) this.log.info(sentence);
    for (const problem of state.settings.problems) this.log.warn(problem);
    const messages: string[] = [];
    if (errors.length > 0) {
      const files = [...new Set(errors.map((d) => path.basename(d.file)))].join(', ');
      messages.push(`${files} has ${errors.length === 1 ? 'an error' : `${errors.length} errors`}; the last good configuration stays in force.`);
    }
    messages.push(...state.ignored.filter((s) => s.includes('not trusted')));
    messages.push(...state.settings.problems);
    const key = messages.join('\n');
    if (key === this.lastAnnounced) return;
    this.lastAnnounced = key;
    if (messages.length === 0) return;
    const actions = errors.length > 0 ? ['Show Problems', 'Show Log'] : state.settings.problems.length > 0 ? ['Open Settings', 'Show Log'] : ['Show Log'];
    const show = errors.length > 0 || state.settings.problems.length > 0 ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(`Model Router: ${messages.join(' ')}`, ...actions).then((choice) => {
      if (choice === 'Show Problems') void vscode.commands.executeCommand('workbench.actions.view.problems');
      else if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', '@ext:model-router.model-router');
      else if (choice === 'Show Log') this.log.show();
    });
  }

  private watchedKey = '';
  private watch(userFile: string, workspaceFile: string | undefined): void {
    const key = `${userFile}\n${workspaceFile ?? ''}`;
    if (key === this.watchedKey) return;
    this.watchedKey = key;
    this.disposeWatchers();
    for (const file of [userFile, workspaceFile]) {
      if (!file) continue;
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
      const onEvent = (): void => this.reload(`${path.basename(file)} changed`);
      this.watchers.push(watcher, watcher.onDidChange(onEvent), watcher.onDidCreate(onEvent), watcher.onDidDelete(onEvent));
    }
    // Saving in an editor is the common case; the file watcher may be slow or absent for files outside the workspace.
    this.watchers.push(
      vscode.workspace.onDidSaveTextDocument((document) => {
        if (document.uri.scheme === 'file' && (document.uri.fsPath === userFile || document.uri.fsPath === workspaceFile)) this.reload('config saved');
      }),
    );
  }

  private disposeWatchers(): void {
    for (const watcher of this.watchers) watcher.dispose();
    this.watchers = [];
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(vscode.Uri.file(file));
    return true;
  } catch {
    return false;
  }
}
