/**
 * Regenerates src/core/verify/pythonHarness.ts from src/core/verify/python_harness.py (edit the .py, with Python's
 * own tools, then run `npx tsx scripts/gen-python-harness.ts`). The extension ships one bundle, so the harness travels
 * as a string constant; test/unit/verifyPython.test.ts fails when the two differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const folder = resolve(__dirname, '../src/core/verify');

export function harnessModule(python: string): string {
  if (python.includes('`') || python.includes('${')) throw new Error('python_harness.py must not contain a backtick or "${" (it becomes a template literal)');
  return `/**
 * GENERATED from python_harness.py by scripts/gen-python-harness.ts: edit the .py and regenerate.
 *
 * The Python side of the Python check (python.ts): one process per answer runs the parse check, loads the code as a
 * module and runs every check, each under its own share of the time budget. Shipped as a string (the extension is
 * one bundle) and run with \`python -I -S -B -c\`; Python 3.8+, standard library only.
 *
 * Protocol: the host writes one payload to stdin ({nonce, mode, code, original, checks, budgetMs, moduleFile} as JSON
 * without true/false/null, which is also a Python literal); the harness reads it before any checked code runs and
 * answers with lines \`<nonce> <json>\` on a duplicate of the original stdout: {"ready"}, {"start": index or test
 * name}, {"r": CheckResult}, {"crash"}, {"done"}. The checked code's stdout and stderr go to a bounded buffer, so it
 * cannot print a result line without the nonce.
 */
export const PYTHON_HARNESS = String.raw\`${python}\`;
`;
}

if (require.main === module) {
  const python = readFileSync(resolve(folder, 'python_harness.py'), 'utf8');
  writeFileSync(resolve(folder, 'pythonHarness.ts'), harnessModule(python));
}
