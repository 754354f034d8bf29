import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..');

describe('the .vsix ships what the extension loads at run time', function () {
  this.timeout(60_000);

  before(() => {
    // vsce lists files that exist: on a fresh clone build the bundles first (a development build; CI packages later).
    if (!['extension.js', 'engine.js', 'compactionWorker.js', 'sql-wasm.wasm'].every((file) => existsSync(path.join(root, 'dist', file)))) {
      execFileSync(process.execPath, [path.join(root, 'esbuild.js')], { cwd: root, stdio: 'ignore' });
    }
  });

  it('lists the extension bundle, the engine bundle, the ledger compaction worker, sql.js WebAssembly, the schema and the view icon, and no sources', () => {
    const listed = execFileSync(process.execPath, [path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'ls', '--no-dependencies'], {
      cwd: root,
      encoding: 'utf8',
    })
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    for (const file of ['dist/extension.js', 'dist/engine.js', 'dist/compactionWorker.js', 'dist/sql-wasm.wasm', 'schemas/model-router.schema.json', 'media/activity.svg', 'package.json']) {
      assert.ok(listed.includes(file), `${file} is not in the package (see .vscodeignore)`);
    }
    const sources = listed.filter((file) => file.startsWith('src/') || file.startsWith('test/') || file.endsWith('.map'));
    assert.deepEqual(sources, [], 'sources, tests or source maps would ship');
  });
});
