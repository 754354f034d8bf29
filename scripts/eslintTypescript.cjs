// typescript-eslint's type-aware rules drive the TypeScript compiler through its JavaScript API (createProgram,
// the language service, the type checker). The project compiles with TypeScript 7 (the native compiler), whose
// package ships no such API, and typescript-eslint 8 supports TypeScript < 6.1. So the linter gets TypeScript 6.0
// (the last release with that API, same language as 7) installed under the alias `typescript-eslint-typescript`,
// and this hook sends the `require('typescript')` (and `typescript/...`) of typescript-eslint's own packages, and only theirs, to it.
// `tsc` and everything else still get TypeScript 7. Loaded first by eslint.config.mjs. Remove it (and the alias and
// the "overrides" entry in package.json) once typescript-eslint runs on TypeScript 7.
'use strict';

const Module = require('node:module');
const path = require('node:path');

const ALIAS = 'typescript-eslint-typescript';
const aliased = require.resolve(ALIAS);
const linterPackages = /[\\/]node_modules[\\/](?:@typescript-eslint[\\/]|typescript-eslint[\\/]|ts-api-utils[\\/])/;

const resolveFilename = Module._resolveFilename;
if (!resolveFilename.modelRouterLint) {
  const patched = function (request, parent, ...rest) {
    if (
      (request === 'typescript' || request.startsWith('typescript/')) &&
      parent &&
      typeof parent.filename === 'string' &&
      linterPackages.test(parent.filename)
    ) {
      // 'typescript' and its subpaths ('typescript/lib/tsserverlibrary', which the project service loads).
      return resolveFilename.call(this, ALIAS + request.slice('typescript'.length), parent, ...rest);
    }
    return resolveFilename.call(this, request, parent, ...rest);
  };
  patched.modelRouterLint = true;
  Module._resolveFilename = patched;
}

module.exports = { typescriptPath: path.dirname(aliased) };
