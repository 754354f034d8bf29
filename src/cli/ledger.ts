/**
 * The request ledger as the CLI uses it: a {@link LedgerStore} in the data directory (`--data-dir`, default
 * $XDG_DATA_HOME/model-router, else ~/.local/share/model-router; created when missing). The store's notices (a
 * corrupt file moved aside, a journal line skipped) go to stderr.
 *
 * sql.js needs its WebAssembly file: the bundle (dist/cli.js) has `sql-wasm.wasm` copied next to it by esbuild.js,
 * which is passed as `wasmPath`; unbundled runs (tsx, tests) have none there, and sql.js finds its own.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { Config } from '../core/config/types';
import { LedgerStore } from '../core/ledger/store';
import type { AlertMemory } from '../core/routing/budget';
import { errorMessage } from '../core/util/errorMessage';
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
  const message = errorMessage(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** The file in the data directory that remembers raised budget alerts across `ask` runs. */
export const ALERTS_FILE = 'budget-alerts.json';

/**
 * Raised budget alerts kept in `<dataDir>/budget-alerts.json`: every `ask` is a new process, and without this each
 * would print today's 90% alert again. A missing or unreadable file means nothing was raised (at worst an alert is
 * shown twice; never is a request blocked by it).
 */
export function fileAlertMemory(dataDir: string): AlertMemory {
  const file = path.join(dataDir, ALERTS_FILE);
  const read = (): Record<string, string> => {
    try {
      const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
      return typeof value === 'object' && value !== null ? (value as Record<string, string>) : {};
    } catch {
      return {};
    }
  };
  return {
    get: (slot) => read()[slot],
    set: (slot, periodKey) => {
      try {
        const temp = `${file}.${process.pid}.tmp`;
        writeFileSync(temp, JSON.stringify({ ...read(), [slot]: periodKey }));
        renameSync(temp, file);
      } catch {
        // The data directory is not writable: the alert may show again next run, nothing else is affected.
      }
    },
  };
}
