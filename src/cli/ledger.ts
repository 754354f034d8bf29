/**
 * The request ledger as the CLI uses it: a {@link LedgerStore} in the data directory (`--data-dir`, default
 * $XDG_DATA_HOME/model-router, else ~/.local/share/model-router; created when missing). The store's notices (a
 * corrupt file moved aside, a journal line skipped) go to stderr.
 *
 * sql.js needs its WebAssembly file: the bundle (dist/cli.js) has `sql-wasm.wasm` copied next to it by esbuild.js,
 * which is passed as `wasmPath`; unbundled runs (tsx, tests) have none there, and sql.js finds its own.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../core/config/types';
import { LedgerStore } from '../core/ledger/store';
import type { Output } from './io';

/** `sql-wasm.wasm` next to this script when it exists (the bundle), else undefined (sql.js finds its own). */
export function bundledWasmPath(): string | undefined {
  const file = path.join(__dirname, 'sql-wasm.wasm');
  return existsSync(file) ? file : undefined;
}

export interface OpenLedgerOptions {
  readonly dataDir: string;
  readonly config: Config;
  readonly err: Output;
}

/** Opens the ledger in `dataDir`; throws what LedgerStore.open throws (the caller decides what that means). */
export async function openLedger({ dataDir, config, err }: OpenLedgerOptions): Promise<LedgerStore> {
  const wasmPath = bundledWasmPath();
  return LedgerStore.open({
    dir: dataDir,
    retentionDays: config.ledger.retentionDays,
    onNotice: (message) => {
      err.endLine();
      err.line(`model-router: ledger: ${message}`);
    },
    ...(wasmPath !== undefined ? { wasmPath } : {}),
  });
}

/** A short reason for a failure to open or write the ledger. */
export function describeLedgerError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
