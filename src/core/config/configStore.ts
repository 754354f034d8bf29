/**
 * Keeps the last good parse of every configuration file, so that one bad edit of a file does not drop that file's
 * settings ("the last good configuration stays in force") nor hold back good edits of the other files.
 *
 *   const store = new ConfigStore();
 *   store.update(userFile, text);            // on load and on every change; `undefined` when the file is deleted
 *   const { config, diagnostics, ignored } = store.resolve({ user: userFile, workspace, workspaceTrusted, settings });
 */
import type { PartialConfigFromSettings } from './configFile';
import type { ConfigDiagnostic } from './diagnostics';
import type { ConfigResolution, FileLayerInput } from './layering';
import { resolveLayers } from './layering';
import type { ConfigLayer, LoadResult } from './load';
import { loadConfigText } from './load';

export interface ConfigStoreResolveOptions {
  /** Path of the user file (as given to {@link ConfigStore.update}); absent or never updated: no user file. */
  readonly user?: string;
  /** Path of the workspace file; used only when `workspaceTrusted`. */
  readonly workspace?: string;
  readonly workspaceTrusted: boolean;
  readonly settings?: PartialConfigFromSettings;
}

interface FileState {
  readonly current: LoadResult;
  readonly lastGood?: ConfigLayer;
}

export class ConfigStore {
  private readonly files = new Map<string, FileState>();

  /**
   * Parses and validates the file's new text and remembers it; a valid text becomes the file's last good layer.
   * `undefined` means the file no longer exists: it is forgotten (no layer, no diagnostics). Returns the parse result.
   */
  /** `bytes`: the file's size when known before reading (see load.ts readConfigFile). */
  update(file: string, text: string | undefined, bytes?: number): LoadResult {
    if (text === undefined) {
      this.files.delete(file);
      return { ok: true, layer: { file, data: {}, locate: () => undefined }, diagnostics: [] };
    }
    const current = loadConfigText(file, text, bytes);
    const previous = this.files.get(file);
    const lastGood = current.ok ? current.layer : previous?.lastGood;
    this.files.set(file, lastGood !== undefined ? { current, lastGood } : { current });
    return current;
  }

  /** Diagnostics of the file's current text ([] for an unknown file). */
  diagnostics(file: string): readonly ConfigDiagnostic[] {
    return this.files.get(file)?.current.diagnostics ?? [];
  }

  /** Layers the files' current or last good versions over the defaults, then the settings (see resolveLayers). */
  resolve(options: ConfigStoreResolveOptions): ConfigResolution {
    const user = this.input(options.user);
    const workspace = options.workspace !== undefined && !options.workspaceTrusted ? this.untrusted(options.workspace) : this.input(options.workspace);
    return resolveLayers({
      ...(user !== undefined ? { user } : {}),
      ...(workspace !== undefined ? { workspace } : {}),
      workspaceTrusted: options.workspaceTrusted,
      ...(options.settings !== undefined ? { settings: options.settings } : {}),
    });
  }

  private input(file: string | undefined): FileLayerInput | undefined {
    const state = file === undefined ? undefined : this.files.get(file);
    if (file === undefined || state === undefined) return undefined;
    const layer = state.current.ok ? state.current.layer : state.lastGood;
    return {
      file,
      ...(layer !== undefined ? { layer } : {}),
      diagnostics: state.current.diagnostics,
      invalid: !state.current.ok,
    };
  }

  /** An untrusted workspace file is reported (when it exists) but neither its layer nor its diagnostics are used. */
  private untrusted(file: string): FileLayerInput | undefined {
    return this.files.has(file) ? { file, diagnostics: [], invalid: false } : undefined;
  }
}
