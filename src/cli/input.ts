/** The text a command works on: a file (or a range of its lines), or stdin. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { fileExists } from './context';
import { usageError } from './exitCodes';
import type { CliIo } from './io';
import { readAll } from './io';
import { languageOfFile } from './language';

export interface InputText {
  readonly text: string;
  /** `src/a.ts`, `src/a.ts:10-42`, or undefined for stdin. */
  readonly source?: string;
  /** Guessed from the file's extension. */
  readonly language?: string;
  /** The file's base name (no folder, no line range), e.g. `a.ts`; undefined for stdin. */
  readonly fileName?: string;
}

export interface FileSpec {
  readonly file: string;
  readonly start?: number;
  readonly end?: number;
}

/** `PATH`, `PATH:N` or `PATH:START-END` (1-based, inclusive). A path that exists as written is taken whole. */
export async function parseFileSpec(spec: string, cwd: string): Promise<FileSpec> {
  const match = /^(.*):(\d+)(?:-(\d+))?$/.exec(spec);
  if (match === null || (await fileExists(path.resolve(cwd, spec)))) return { file: spec };
  const start = Number(match[2]);
  const end = match[3] === undefined ? start : Number(match[3]);
  return { file: match[1]!, start, end };
}

/** Reads `--file PATH[:START-END]`; a missing file or a bad range is a usage error naming `command`. */
export async function readFileInput(spec: string, io: CliIo, command: string): Promise<InputText> {
  if (spec === '-') return { text: await readAll(io.stdin) };
  const { file, start, end } = await parseFileSpec(spec, io.cwd);
  let text: string;
  try {
    text = await readFile(path.resolve(io.cwd, file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(error));
    throw usageError(`cannot read ${file}: ${why}.`, command);
  }
  const language = languageOfFile(file);
  const fileName = path.basename(file);
  if (start === undefined || end === undefined) return { text, source: file, fileName, ...(language ? { language } : {}) };
  const lines = text.split(/\r?\n/);
  const count = text.endsWith('\n') ? lines.length - 1 : lines.length;
  if (start < 1 || end < start || start > count) {
    throw usageError(`bad line range ${start}-${end} for ${file}: it has ${count} line${count === 1 ? '' : 's'}; use START-END with 1 <= START <= END.`, command);
  }
  const last = Math.min(end, count);
  return {
    text: lines.slice(start - 1, last).join('\n') + '\n',
    source: `${file}:${start}-${last}`,
    fileName,
    ...(language ? { language } : {}),
  };
}
