// @ts-check
/**
 * Bundles the extension and the CLI with esbuild, and the extension-host test suite on request.
 *
 *   node esbuild.js                 development: source maps, not minified        -> dist/
 *   node esbuild.js --production    minified, no source maps (what the .vsix ships) -> dist/
 *   node esbuild.js --tests         also bundles test/integration/** (always with source maps) -> dist-test/integration/
 *   node esbuild.js --watch         rebuilds on change (combine with the flags above); stop with Ctrl+C
 */
'use strict';

const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const flags = new Set(process.argv.slice(2));
for (const flag of flags) {
  if (!['--production', '--watch', '--tests'].includes(flag)) {
    console.error(`esbuild.js: unknown flag ${flag} (known: --production, --watch, --tests)`);
    process.exit(2);
  }
}
const production = flags.has('--production');
const watch = flags.has('--watch');
const withTests = flags.has('--tests');

const root = __dirname;

/** Options every bundle shares: one CommonJS file per entry point for Node 20, as VS Code's extension host loads. */
const common = {
  bundle: true,
  format: /** @type {const} */ ('cjs'),
  platform: /** @type {const} */ ('node'),
  target: 'node20',
  absWorkingDir: root,
  logLevel: /** @type {const} */ ('warning'),
  metafile: true,
};

/**
 * Packages that must never be in dist/extension.js: activation loads that file, and none of these may load then
 * (they live in dist/engine.js, which the extension requires on first use).
 */
const HEAVY_PACKAGES = ['@anthropic-ai/sdk', 'openai', '@google/generative-ai', 'sql.js', 'yaml', 'ajv', 'sucrase'];

/**
 * What ships in the package. Each target is one esbuild build; add an entry here for every new bundle.
 * @type {{ name: string, options: import('esbuild').BuildOptions, copySqlWasm?: boolean, forbid?: string[] }[]}
 */
const productTargets = [
  {
    name: 'extension',
    options: {
      entryPoints: { extension: 'src/extension.ts' },
      outdir: 'dist',
      // Provided by the extension host at run time; never bundled.
      external: ['vscode'],
    },
    forbid: HEAVY_PACKAGES,
  },
  // The engine: routing, SDK adapters, YAML, ledger. src/vscode/engine.ts requires dist/engine.js on first use.
  // The ledger's compaction worker thread runs dist/compactionWorker.js (found next to engine.js and cli.js).
  {
    name: 'engine',
    options: {
      entryPoints: { engine: 'src/engine.ts', compactionWorker: 'src/core/ledger/compactionWorker.ts' },
      outdir: 'dist',
    },
    // The ledger's sql.js needs its WebAssembly file next to the bundle (src/vscode passes it as wasmPath).
    copySqlWasm: true,
  },
  // The CLI must not import `vscode` (src/core has no vscode import), so it gets no `external` list; the banner makes
  // dist/cli.js runnable as `model-router` through package.json `bin`.
  {
    name: 'cli',
    options: {
      entryPoints: { cli: 'src/cli.ts' },
      outdir: 'dist',
      banner: { js: '#!/usr/bin/env node' },
    },
    // The ledger's sql.js needs its WebAssembly file next to the bundle (the CLI passes it as wasmPath).
    copySqlWasm: true,
  },
  // The cost dashboard's webview: a browser bundle (IIFE, Chart.js inside) and its styles with the codicon font, all in
  // media/dist/, the panel's only localResourceRoot (shipped through `!media/**` in .vscodeignore). No CDN.
  {
    name: 'dashboard webview',
    options: {
      entryPoints: ['media/dashboard/dashboard.ts', 'media/dashboard/dashboard.css'],
      outdir: 'media/dist',
      format: 'iife',
      platform: 'browser',
      // VS Code 1.100 runs webviews in Chromium 132 (Electron 34).
      target: 'chrome120',
      loader: { '.ttf': 'file' },
      assetNames: '[name]',
      // Inline maps in development: no stale .map file can be left next to a production build.
      sourcemap: production ? false : 'inline',
    },
  },
];

/** Copies node_modules/sql.js/dist/sql-wasm.wasm into the build's outdir after every successful build. */
/** @type {import('esbuild').Plugin} */
const copySqlWasm = {
  name: 'copy-sql-wasm',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length > 0) {
        return;
      }
      const outdir = path.resolve(root, build.initialOptions.outdir ?? 'dist');
      fs.mkdirSync(outdir, { recursive: true });
      fs.copyFileSync(path.join(root, 'node_modules', 'sql.js', 'dist', 'sql-wasm.wasm'), path.join(outdir, 'sql-wasm.wasm'));
    });
  },
};

/**
 * The extension-host suite: test/integration/index.ts (exports run(), which runs mocha over the suite files) plus
 * one bundle per *.test.ts, so mocha can require them by file name. Mocha is bundled into index.js: the suite then
 * needs nothing from node_modules at run time, under @vscode/test-electron or code-server alike.
 * @returns {{ name: string, options: import('esbuild').BuildOptions }}
 */
function integrationTestTarget() {
  const dir = path.join(root, 'test', 'integration');
  const testFiles = fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .sort()
    .map((file) => path.join('test', 'integration', file));
  return {
    name: 'integration tests',
    options: {
      entryPoints: ['test/integration/index.ts', ...testFiles],
      outbase: 'test/integration',
      outdir: 'dist-test/integration',
      external: ['vscode'],
      sourcemap: true,
      minify: false,
      // Mocha's parallel mode (worker files found with require.resolve) is never used by the suite.
      logOverride: { 'require-resolve-not-external': 'silent' },
    },
  };
}

/** Prints start and end lines in the format of the `$esbuild-watch` problem matcher, so a VS Code task can follow. */
/** @type {import('esbuild').Plugin} */
const watchReporter = {
  name: 'watch-reporter',
  setup(build) {
    build.onStart(() => {
      console.log('[watch] build started');
    });
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) {
          console.error(`    ${location.file}:${location.line}:${location.column}:`);
        }
      }
      console.log('[watch] build finished');
    });
  },
};

/**
 * @param {{ name: string, options: import('esbuild').BuildOptions, copySqlWasm?: boolean }} target
 * @returns {import('esbuild').BuildOptions}
 */
function buildOptions(target) {
  return {
    ...common,
    minify: production,
    sourcemap: !production,
    ...target.options,
    plugins: [...(watch ? [watchReporter] : []), ...(target.copySqlWasm ? [copySqlWasm] : [])],
  };
}

/** A production build writes no map; delete the one a development build left, so no stale map sits beside it. */
function removeStaleSourceMaps(/** @type {import('esbuild').BuildOptions} */ options) {
  if (options.sourcemap || !options.outdir || !options.entryPoints || Array.isArray(options.entryPoints)) {
    return;
  }
  for (const name of Object.keys(options.entryPoints)) {
    fs.rmSync(path.join(root, options.outdir, `${name}.js.map`), { force: true });
  }
}

/**
 * Fails the build when a forbidden package ended up in the bundle, naming the package and a file that imports it.
 * @param {{ name: string, forbid?: string[] }} target
 * @param {import('esbuild').Metafile | undefined} metafile
 */
function checkForbidden(target, metafile) {
  if (!target.forbid || !metafile) {
    return;
  }
  for (const input of Object.keys(metafile.inputs)) {
    for (const name of target.forbid) {
      if (input.includes(`node_modules/${name}/`)) {
        const importer = Object.entries(metafile.inputs).find(([, info]) => info.imports.some((i) => i.path === input))?.[0];
        throw new Error(
          `esbuild: ${name} is bundled into the ${target.name} bundle (${input}, imported by ${importer ?? '?'}); ` +
            'import its values through src/engine.ts (loaded on first use) and only types from src/core.',
        );
      }
    }
  }
}

/** @param {import('esbuild').Metafile | undefined} metafile */
function printOutputs(metafile) {
  if (!metafile) {
    return;
  }
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (!file.endsWith('.map')) {
      console.log(`  ${file}  ${(output.bytes / 1024).toFixed(1)} KiB`);
    }
  }
}

async function main() {
  const targets = withTests ? [...productTargets, integrationTestTarget()] : productTargets;
  const mode = production ? 'production' : 'development';

  if (watch) {
    const contexts = await Promise.all(targets.map((target) => esbuild.context(buildOptions(target))));
    await Promise.all(contexts.map((context) => context.watch()));
    console.log(`esbuild: watching ${targets.map((t) => t.name).join(', ')} (${mode})`);
    const stop = async () => {
      await Promise.all(contexts.map((context) => context.dispose()));
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    return;
  }

  for (const target of targets) {
    const options = buildOptions(target);
    removeStaleSourceMaps(options);
    const result = await esbuild.build(options);
    checkForbidden(target, result.metafile);
    console.log(`esbuild: built ${target.name} (${mode})`);
    printOutputs(result.metafile);
  }
}

main().catch((error) => {
  // esbuild has already printed the details of build errors.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
