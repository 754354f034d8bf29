/**
 * Entry point of the extension-host suite. Both hosts load the bundled dist-test/integration/index.js and call
 * run(): @vscode/test-electron through `extensionTestsPath` (see test/runVscodeTests.ts), and code-server through
 * the `extensionTestsPath` entry of its `payload` URL parameter (see shared/E2E.md).
 *
 * run() adds every *.test.js that sits beside this file (esbuild bundles one per test/integration/**\/*.test.ts)
 * and resolves when all pass. Set MODEL_ROUTER_TEST_GREP to run only the tests whose full title matches.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import Mocha from 'mocha';

export function run(): Promise<void> {
  const grep = process.env['MODEL_ROUTER_TEST_GREP'];
  const mocha = new Mocha({ ui: 'bdd', timeout: 20_000, ...(grep ? { grep } : {}) });

  const files = fs
    .readdirSync(__dirname, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.js'))
    .sort();
  if (files.length === 0) {
    return Promise.reject(new Error(`No *.test.js files found in ${__dirname}; run \`node esbuild.js --tests\` first.`));
  }
  for (const file of files) {
    mocha.addFile(path.join(__dirname, file));
  }

  return new Promise<void>((resolve, reject) => {
    try {
      mocha.run((failures) => {
        if (failures > 0) {
          reject(new Error(`${failures} extension-host test(s) failed.`));
        } else {
          resolve();
        }
      });
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
