// @ts-nocheck
/**
 * One activation in a fresh Node process (bench/extension.bench.ts spawns many):
 *   node probe.cjs <module.js> <extension folder>
 * Maps `require('vscode')` to vscodeStub.cjs (loaded before the clock starts: in VS Code the API exists before an
 * extension loads), then times require(<module>) + activate(context). Prints one JSON line: the time, whether
 * dist/engine.js was loaded by then and 200 ms later, and the vscode members the stub had to fake generically.
 */
'use strict';
const Module = require('node:module');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const [target, extensionPath] = process.argv.slice(2);
const stubPath = path.join(__dirname, 'vscodeStub.cjs');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? stubPath : resolve.call(this, request, ...rest);
};
const vscode = require(stubPath);
const packageJSON = require(path.join(extensionPath, 'package.json'));
const context = vscode.__makeContext(extensionPath, packageJSON);
const engineLoaded = () => Object.keys(require.cache).some((file) => path.basename(file) === 'engine.js');

const start = performance.now();
const extension = require(path.resolve(target));
extension.activate(context);
const ms = performance.now() - start;
const engineAtReturn = engineLoaded();
const modules = Object.keys(require.cache).length;

setTimeout(() => {
  const engineLater = engineLoaded();
  for (const disposable of context.subscriptions.reverse()) {
    try {
      disposable.dispose();
    } catch {
      // a stub-shaped disposable
    }
  }
  process.stdout.write(`${JSON.stringify({ ms, engineAtReturn, engineLater, modules, unknown: [...vscode.__unknown] })}\n`);
  process.exit(0);
}, 200);
