// ESLint flat config: `npm run lint` (CI runs it before the tests). The house style it checks is STYLE.md's
// "Names explain themselves" (naming, `import type`, explicit return types on exports, no default exports),
// sorted imports, no floating or misused promises, and typescript-eslint's recommended type-checked set.
// Type-aware through the project service: each file is checked with its nearest tsconfig.json
// (media/dashboard/ has its own, for the webview; everything else the root one).
//
// Must stay the first import: typescript-eslint needs TypeScript's JavaScript API, which the project's
// TypeScript 7 does not ship (see the file).
import './scripts/eslintTypescript.cjs';

import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Names as the code already writes them (read from src/, test/, bench/, scripts/ and media/dashboard/). */
const namingConvention = [
  'error',
  // Functions, methods, parameters and locals: camelCase; a leading underscore marks an unused parameter or a
  // member kept private by convention (lifecycle.ts `_register`).
  { selector: 'default', format: ['camelCase'], leadingUnderscore: 'allow' },
  // Constants: UPPER_CASE for module-level values (REQUEST_OPTIONS, DEFAULT_TIMEOUTS), camelCase otherwise,
  // PascalCase for a constructor or namespace-like object held in a variable.
  { selector: 'variable', format: ['camelCase', 'UPPER_CASE', 'PascalCase'], leadingUnderscore: 'allow' },
  { selector: 'import', format: ['camelCase', 'PascalCase'] },
  // Types, classes, interfaces (no `I` prefix), enums and type parameters: PascalCase.
  { selector: 'typeLike', format: ['PascalCase'] },
  {
    selector: 'interface',
    format: ['PascalCase'],
    custom: { regex: '^I[A-Z]', match: false },
  },
  { selector: 'enumMember', format: ['PascalCase', 'UPPER_CASE'] },
  { selector: 'classProperty', modifiers: ['static', 'readonly'], format: ['camelCase', 'UPPER_CASE'] },
  // Properties mirror what they describe: wire formats (snake_case JSON, HTTP headers such as `retry-after-ms`),
  // setting keys (`modelRouter.budget.dailyUsd`), SQL columns. Their names are not ours to choose.
  { selector: ['objectLiteralProperty', 'typeProperty', 'objectLiteralMethod'], format: null },
  // A name that must be quoted is a key, not an identifier.
  { selector: 'property', modifiers: ['requiresQuotes'], format: null },
  // Destructuring keeps the source's name.
  { selector: 'variable', modifiers: ['destructured'], format: null },
];

export default defineConfig(
  globalIgnores(['dist/', 'dist-test/', 'out/', 'media/dist/', '.cache/', '.vscode-test/', 'test-results/', 'node_modules/']),
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'simple-import-sort': simpleImportSort, '@stylistic': stylistic },
    rules: {
      'simple-import-sort/imports': 'error',
      // simple-import-sort leaves formatting to a formatter (the project has none): when it moves the last name
      // of `{ b, a }` it writes `{ a,b }`; this puts the space back in the same --fix run.
      '@stylistic/comma-spacing': 'error',
      '@typescript-eslint/naming-convention': namingConvention,
      // STYLE.md: explicit return types on exported functions (and methods of exported classes).
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // An abort rejects with the signal's own reason (unknown), as fetch and timers/promises do.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // STYLE.md: `import type` for types, as separate statements (the code's existing shape).
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'separate-type-imports' }],
      // STYLE.md: no default exports.
      // The house marks unused parameters and bindings with a leading underscore (tsc's noUnusedLocals agrees).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // On since noUncheckedIndexedAccess is: an `items[i]!` now says something, and an assertion that changes nothing goes.
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      // Off: an async method that implements a Promise-returning interface without awaiting (fakes, stubs, clocks) is clearer than Promise.resolve().
      '@typescript-eslint/require-await': 'off',
      // Off: the code matches control characters on purpose, to strip them from hostile outside text.
      'no-control-regex': 'off',
      'no-restricted-exports': ['error', { restrictDefaultExports: { direct: true, named: true, defaultFrom: true, namedFrom: true, namespaceFrom: true } }],
    },
  },
  {
    // The pure core never imports the editor (README, STYLE.md "Pure core, thin shell").
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core must not import vscode: put host code under src/vscode/.' }] }],
    },
  },
  {
    // Plain JavaScript (esbuild.js, CommonJS stubs, this file): no type information.
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.cjs', 'esbuild.js', 'test/integration/fakeLmExtension/extension.js'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
