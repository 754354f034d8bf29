/**
 * Loads dist/engine.js (src/engine.ts) on first use. It is a separate bundle so that activation loads no SDK, no
 * sql.js, no YAML parser: the extension's first command, the first tree refresh or the status bar's first spend
 * figure pays that cost, after `activate()` has returned.
 */
import * as path from 'node:path';

import type * as EngineModule from '../engine';

export type Engine = typeof EngineModule;

let engine: Engine | undefined;

/** The engine module; the first call loads it (synchronously, ~tens of ms). */
export function loadEngine(): Engine {
  if (!engine) {
    // A computed path keeps esbuild from bundling the engine into dist/extension.js.
    const file = path.join(__dirname, 'engine.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    engine = require(file) as Engine;
  }
  return engine;
}

/** The sql.js WebAssembly file copied next to dist/engine.js by esbuild.js. */
export function sqlWasmPath(): string {
  return path.join(__dirname, 'sql-wasm.wasm');
}
