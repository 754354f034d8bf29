/**
 * Runs the extension-host suite (dist-test/integration/index.js) in a desktop VS Code downloaded by
 * @vscode/test-electron. Use `npm run test:vscode`, which bundles the extension and the suite first.
 *
 * The download needs the internet: this works on a developer machine or CI that can reach the VS Code update
 * service, not on our offline machines (there the same suite runs under code-server; see shared/E2E.md).
 * MODEL_ROUTER_VSCODE_VERSION overrides the VS Code version (default: 1.104.0, the engine we target).
 */
import * as path from 'node:path';

import { runTests } from '@vscode/test-electron';

const defaultVersion = '1.104.0';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const exitCode = await runTests({
    version: process.env['MODEL_ROUTER_VSCODE_VERSION'] ?? defaultVersion,
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'dist-test', 'integration', 'index.js'),
    // Only our extension, no workspace-trust prompt, no welcome page.
    launchArgs: ['--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  });
  process.exitCode = exitCode;
}

main().catch((error: unknown) => {
  console.error('VS Code extension-host tests failed:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
