/**
 * Loads sql.js on demand. Nothing of sql.js is imported at module top, so importing the ledger costs nothing until
 * a store is opened (the extension must not load WebAssembly on activation).
 *
 * Where the WebAssembly file comes from:
 * - unbundled (tests, tsx, the CLI from source): sql.js finds `sql-wasm.wasm` next to its own script;
 * - bundled by esbuild: the build copies `node_modules/sql.js/dist/sql-wasm.wasm` next to the bundle, and the
 *   caller passes that path as `wasmPath` (e.g. `path.join(__dirname, 'sql-wasm.wasm')`).
 */
import { readFile } from 'node:fs/promises';
import type { SqlJsStatic } from 'sql.js';

export interface SqlJsOptions {
  /** Absolute path of `sql-wasm.wasm`; omit to let sql.js find the file next to its own script. */
  readonly wasmPath?: string;
}

/** {@link loadSqlJs} for options whose `wasmPath` may be present but undefined (the store's, a worker job's). */
export function loadSqlJsFrom(options: { readonly wasmPath?: string | undefined }): Promise<SqlJsStatic> {
  return loadSqlJs(options.wasmPath === undefined ? {} : { wasmPath: options.wasmPath });
}

export async function loadSqlJs(options: SqlJsOptions = {}): Promise<SqlJsStatic> {
  const module = await import('sql.js');
  const initSqlJs = (module as unknown as { default?: typeof module.default }).default ?? (module as unknown as typeof module.default);
  if (options.wasmPath === undefined) return initSqlJs();
  const bytes = await readFile(options.wasmPath);
  const wasmBinary = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return initSqlJs({ wasmBinary });
}
