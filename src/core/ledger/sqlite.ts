/**
 * Loads sql.js on demand, and the few helpers every ledger query runs its SQL with. Nothing of sql.js is imported at
 * module top, so importing the ledger costs nothing until a store is opened (the extension must not load WebAssembly
 * on activation).
 *
 * Where the WebAssembly file comes from:
 * - unbundled (tests, tsx, the CLI from source): sql.js finds `sql-wasm.wasm` next to its own script;
 * - bundled by esbuild: the build copies `node_modules/sql.js/dist/sql-wasm.wasm` next to the bundle, and the
 *   caller passes that path as `wasmPath` (e.g. `path.join(__dirname, 'sql-wasm.wasm')`).
 */
import { readFile } from 'node:fs/promises';

import type { Database, SqlJsStatic, SqlValue, Statement } from 'sql.js';

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
  const wasmBinary = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return initSqlJs({ wasmBinary });
}

/** Runs a statement and passes every row to `each`; frees the statement. */
export function forEachRow(
  db: Database,
  sql: string,
  params: readonly SqlValue[],
  each: (row: SqlValue[]) => void,
): void {
  const statement = db.prepare(sql);
  try {
    statement.bind([...params]);
    while (statement.step()) each(statement.get());
  } finally {
    statement.free();
  }
}

/** A numeric column's value (0 for NULL). */
export const sqlNumber = (value: SqlValue | undefined): number => (typeof value === 'number' ? value : Number(value ?? 0));

/** Prepared statements by SQL text, for a query that runs the same few statements many times; free() frees them. */
export class StatementCache {
  private readonly cache = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  each(sql: string, params: readonly SqlValue[], row: (values: SqlValue[]) => void): void {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cache.set(sql, statement);
    }
    try {
      statement.bind([...params]);
      while (statement.step()) row(statement.get());
    } finally {
      statement.reset();
    }
  }

  free(): void {
    for (const statement of this.cache.values()) statement.free();
    this.cache.clear();
  }
}
