import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Figure } from './report';
import { percentile } from './report';

/**
 * The extension as it ships, built from a copy of the work tree in a temporary folder (so the bench never rewrites
 * the dist/ that others are running from):
 * - extension.vsix_bytes: size of the .vsix that `vsce package --no-dependencies` makes; vsce runs
 *   `vscode:prepublish` first, i.e. `node esbuild.js --production` (minified, no source maps).
 * - extension.activation_ms: require(dist/extension.js) + activate() of that PRODUCTION bundle in a fresh Node
 *   process, with the `vscode` module stubbed (bench/activation/vscodeStub.cjs), minus the same for an empty
 *   extension module; medians of BENCH_ACTIVATION_RUNS fresh processes each (default 21), run interleaved.
 * - extension.activation_engine_loads: in how many of those processes dist/engine.js (SDKs, sql.js, YAML) was loaded
 *   when activate() returned or 200 ms later. Activation must load none of it.
 */
const RUNS = Number(process.env.BENCH_ACTIVATION_RUNS ?? 21);
const root = join(__dirname, '..');

/** What `vsce package` and `node esbuild.js` read; node_modules is linked, not copied. */
const SHIPPED_INPUTS = ['package.json', 'esbuild.js', 'tsconfig.json', '.vscodeignore', 'README.md', 'CHANGELOG.md', 'LICENSE', 'src', 'media', 'schemas'];

interface ProbeResult {
  readonly ms: number;
  readonly engineAtReturn: boolean;
  readonly engineLater: boolean;
  readonly modules: number;
  readonly unknown: readonly string[];
}

function probe(module: string, extensionDir: string): ProbeResult {
  const output = execFileSync(process.execPath, [join(__dirname, 'activation', 'probe.cjs'), module, extensionDir], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').pop() ?? '{}') as ProbeResult;
}

export async function extensionBench(): Promise<readonly Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'extension-bench-'));
  try {
    const copy = join(dir, 'extension');
    for (const input of SHIPPED_INPUTS) cpSync(join(root, input), join(copy, input), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'), 'dir');
    const vsix = join(dir, 'model-router.vsix');
    const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
    execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '-o', vsix], { cwd: copy, stdio: 'pipe' });
    const vsixBytes = statSync(vsix).size;

    const empty = join(dir, 'empty.js');
    writeFileSync(empty, "'use strict';\nexports.activate = () => ({});\n");
    const bundle = join(copy, 'dist', 'extension.js');
    probe(bundle, copy); // warm the file cache once
    const extension: ProbeResult[] = [];
    const baseline: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      extension.push(probe(bundle, copy));
      baseline.push(probe(empty, copy).ms);
    }
    const extensionMedian = percentile(extension.map((r) => r.ms), 50);
    const baselineMedian = percentile(baseline, 50);
    const engineLoads = extension.filter((r) => r.engineAtReturn || r.engineLater).length;
    const faked = [...new Set(extension.flatMap((r) => r.unknown))];
    console.log(
      `# extension bench: production bundle ${(statSync(bundle).size / 1024).toFixed(1)} KiB; activation median ${extensionMedian.toFixed(2)} ms, ` +
        `empty module ${baselineMedian.toFixed(2)} ms (${RUNS} fresh processes each); ${extension[0]?.modules ?? 0} modules loaded at activation` +
        (faked.length > 0 ? `; vscode members faked generically: ${faked.join(', ')}` : ''),
    );
    return [
      { name: 'extension.activation_ms', value: Math.max(0, extensionMedian - baselineMedian), unit: 'ms', op: '<=', target: 50 },
      { name: 'extension.activation_engine_loads', value: engineLoads, unit: 'runs', op: '<=', target: 0 },
      { name: 'extension.vsix_bytes', value: vsixBytes, unit: 'bytes', op: '<=', target: 3_000_000 },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
