/**
 * What the complexity estimate knows about languages (data, no algorithm): how each one writes comments, strings
 * and blocks, so the scanner (complexity.ts) reads its structure right, and the points a harder language (C++,
 * Rust, Haskell...) adds or data and markup (JSON, YAML, HTML...) takes away. VS Code language ids and common
 * aliases (`ts`, `py`, `c++`) are both accepted.
 */

export type CommentStyle = 'slash' | 'hash' | 'dash' | 'slashAndHash' | 'none' | 'unknown';

export interface LanguageProfile {
  readonly comments: CommentStyle;
  /** Blocks by braces, by indentation, or decided by the text (unknown languages). */
  readonly blocks: 'braces' | 'indentation' | 'auto';
  readonly tripleQuotes: boolean;
  /** `=>` defines a function (JS/TS, C#, Scala, Dart...), not a hash pair (PHP, Ruby, Perl). */
  readonly arrowIsFunction: boolean;
  /** `'` opens a string or char literal (false where it marks lifetimes, type variables or quoting). */
  readonly apostropheQuotes: boolean;
  readonly points: number;
  readonly note?: string;
}

const C_LIKE: LanguageProfile = {
  comments: 'slash',
  blocks: 'braces',
  tripleQuotes: false,
  arrowIsFunction: true,
  apostropheQuotes: true,
  points: 0,
};
const HARD = 0.5;
const SIMPLE = -0.5;
const HARD_NOTE = 'harder language';
const DATA_NOTE = 'data or markup';

/** Prose (Markdown, plain text): no comments, apostrophes are not quotes. */
const PROSE: LanguageProfile = { ...C_LIKE, comments: 'none', blocks: 'indentation', apostropheQuotes: false, points: SIMPLE, note: DATA_NOTE };

export const LANGUAGES: Readonly<Record<string, LanguageProfile>> = {
  typescript: C_LIKE,
  javascript: C_LIKE,
  java: C_LIKE,
  csharp: C_LIKE,
  go: C_LIKE,
  kotlin: C_LIKE,
  swift: C_LIKE,
  dart: C_LIKE,
  groovy: C_LIKE,
  php: { ...C_LIKE, comments: 'slashAndHash', arrowIsFunction: false },
  c: { ...C_LIKE, points: HARD, note: HARD_NOTE },
  cpp: { ...C_LIKE, points: HARD, note: HARD_NOTE },
  cuda: { ...C_LIKE, points: HARD, note: HARD_NOTE },
  objectivec: { ...C_LIKE, points: HARD, note: HARD_NOTE },
  rust: { ...C_LIKE, apostropheQuotes: false, points: HARD, note: HARD_NOTE },
  scala: { ...C_LIKE, apostropheQuotes: false, points: HARD, note: HARD_NOTE },
  zig: { ...C_LIKE, points: HARD, note: HARD_NOTE },
  solidity: { ...C_LIKE, points: HARD, note: HARD_NOTE },
  python: {
    comments: 'hash',
    blocks: 'indentation',
    tripleQuotes: true,
    arrowIsFunction: false,
    apostropheQuotes: true,
    points: 0,
  },
  ruby: { ...C_LIKE, comments: 'hash', blocks: 'indentation', arrowIsFunction: false },
  shell: { ...C_LIKE, comments: 'hash', blocks: 'indentation', arrowIsFunction: false },
  powershell: { ...C_LIKE, comments: 'hash', arrowIsFunction: false },
  perl: { ...C_LIKE, comments: 'hash', arrowIsFunction: false },
  r: { ...C_LIKE, comments: 'hash', arrowIsFunction: false },
  julia: { ...C_LIKE, comments: 'hash', blocks: 'indentation', arrowIsFunction: false },
  elixir: { ...C_LIKE, comments: 'hash', blocks: 'indentation', arrowIsFunction: false, points: HARD, note: HARD_NOTE },
  nim: { ...C_LIKE, comments: 'hash', blocks: 'indentation', arrowIsFunction: false },
  lua: { ...C_LIKE, comments: 'dash', blocks: 'indentation', arrowIsFunction: false },
  sql: { ...C_LIKE, comments: 'dash', blocks: 'indentation', arrowIsFunction: false },
  haskell: {
    ...C_LIKE,
    comments: 'dash',
    blocks: 'indentation',
    arrowIsFunction: false,
    apostropheQuotes: false,
    points: HARD,
    note: HARD_NOTE,
  },
  ocaml: { ...C_LIKE, comments: 'none', blocks: 'indentation', apostropheQuotes: false, points: HARD, note: HARD_NOTE },
  fsharp: { ...C_LIKE, blocks: 'indentation', apostropheQuotes: false, points: HARD, note: HARD_NOTE },
  clojure: {
    ...C_LIKE,
    comments: 'none',
    blocks: 'indentation',
    apostropheQuotes: false,
    points: HARD,
    note: HARD_NOTE,
  },
  erlang: { ...C_LIKE, comments: 'none', blocks: 'indentation', points: HARD, note: HARD_NOTE },
  assembly: { ...C_LIKE, comments: 'none', blocks: 'indentation', points: HARD, note: HARD_NOTE },
  json: { ...C_LIKE, points: SIMPLE, note: DATA_NOTE },
  jsonc: { ...C_LIKE, points: SIMPLE, note: DATA_NOTE },
  yaml: { ...C_LIKE, comments: 'hash', blocks: 'indentation', points: SIMPLE, note: DATA_NOTE },
  toml: { ...C_LIKE, comments: 'hash', blocks: 'indentation', points: SIMPLE, note: DATA_NOTE },
  ini: { ...C_LIKE, comments: 'none', blocks: 'indentation', points: SIMPLE, note: DATA_NOTE },
  xml: { ...C_LIKE, comments: 'none', blocks: 'indentation', points: SIMPLE, note: DATA_NOTE },
  html: { ...C_LIKE, comments: 'none', blocks: 'indentation', points: SIMPLE, note: DATA_NOTE },
  css: { ...C_LIKE, points: SIMPLE, note: DATA_NOTE },
  scss: { ...C_LIKE, points: SIMPLE, note: DATA_NOTE },
  less: { ...C_LIKE, points: SIMPLE, note: DATA_NOTE },
  markdown: PROSE,
  plaintext: PROSE,
};

export const UNKNOWN_LANGUAGE: LanguageProfile = {
  comments: 'unknown',
  blocks: 'auto',
  tripleQuotes: true,
  arrowIsFunction: true,
  apostropheQuotes: true,
  points: 0,
};

const LANGUAGE_ALIASES: Readonly<Record<string, string>> = {
  ts: 'typescript',
  tsx: 'typescript',
  typescriptreact: 'typescript',
  js: 'javascript',
  jsx: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  javascriptreact: 'javascript',
  py: 'python',
  python3: 'python',
  'c++': 'cpp',
  cc: 'cpp',
  cxx: 'cpp',
  hpp: 'cpp',
  h: 'c',
  'c#': 'csharp',
  cs: 'csharp',
  golang: 'go',
  rs: 'rust',
  kt: 'kotlin',
  rb: 'ruby',
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  shellscript: 'shell',
  ps1: 'powershell',
  yml: 'yaml',
  md: 'markdown',
  text: 'plaintext',
  txt: 'plaintext',
  'objective-c': 'objectivec',
  'objective-cpp': 'objectivec',
  hs: 'haskell',
  ml: 'ocaml',
  'f#': 'fsharp',
  fs: 'fsharp',
  ex: 'elixir',
  exs: 'elixir',
  asm: 'assembly',
  'x86 and x86_64 assembly': 'assembly',
  clj: 'clojure',
  sass: 'scss',
};

export function normalizeLanguage(language: string | undefined): string | undefined {
  if (language === undefined) return undefined;
  const id = language.trim().toLowerCase();
  if (id === '') return undefined;
  return LANGUAGE_ALIASES[id] ?? id;
}
