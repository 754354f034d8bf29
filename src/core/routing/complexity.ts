/**
 * Complexity of a request, 1 (trivial) to 10 (hardest), from the selected code, the task, the language and the
 * instruction. A transparent additive model: every feature adds points for a reason a person can read ("212 lines",
 * "nesting depth 6", "task: refactor", "instruction mentions concurrency"), and the score is 1 + the sum of the
 * points, rounded and clamped to 1..10. `raw` is the unrounded sum, for ranking.
 *
 * Every point grows with a count or a maximum (never with a ratio), so adding more of the same code never lowers the
 * score. The code is read in one pass over its char codes with no regular expression and no allocation per line
 * (about 0.3 microseconds per line; bench/complexity.bench.ts).
 *
 * Nothing here is fitted to data. The score is led by the size of the whole prompt, the selection and the
 * instruction together (what the model has to read and keep consistent), on one log scale; the rest are priors from
 * what makes work hard for a model (depth, decisions, many units working together, concurrency, the kind of task,
 * a harder language), each bounded and named in the reasons. Why size leads: measured on code tasks the router had
 * not seen, a plain prompt-length ranking beat every prompt-only score tried (a fitted instruction weight and
 * instruction topics with points of their own included), and structure read from a short selection says little
 * (deep nesting in five lines is still five lines), so structure, concurrency in the code included, counts only from
 * about 20 lines of selection, fully from about 40 (see {@link structureWeight}). Topics the instruction mentions
 * and small-change words are a share of the size term: tie-breakers between requests of about the same size
 * (complexityTopics.ts). Where the answer can be checked by running it, the router does not rely on this
 * score at all (verify-then-escalate, src/core/verify). bench/routingDev.bench.ts measures the score on the routing
 * development set beside a prompt-length baseline; it is a check, never a source of weights.
 */
import type { TaskType } from '../config/types';
import { BRANCH, CONCURRENCY, CONTROL, ENDS_SIGNATURE, FUNCTION, keywordKind as keywordKindOf } from './complexityKeywords';
import type { LanguageProfile } from './complexityLanguages';
import { LANGUAGES, normalizeLanguage, UNKNOWN_LANGUAGE } from './complexityLanguages';
import { readInstruction } from './complexityTopics';
import { estimateTokens, isWordCode, LONG_WORD_LENGTH, tokensFromCounts } from './tokenEstimate';

// Imported bindings copied to module constants once: under a CommonJS transform (tsx, mocha) every use of an
// imported name is a property read through a getter, too slow for a per-character loop.
const isWord = isWordCode;
const LONG_WORD = LONG_WORD_LENGTH;
const keywordKind = keywordKindOf;
const BRANCH_KIND = BRANCH;
const CONTROL_KIND = CONTROL;
const FUNCTION_KIND = FUNCTION;
const CONCURRENCY_KIND = CONCURRENCY;
const ENDS_SIGNATURE_KIND = ENDS_SIGNATURE;

export interface ComplexityInput {
  /** The selected code; empty when nothing is selected. */
  readonly text: string;
  readonly task: TaskType;
  /** VS Code language id (`typescript`, `python`, ...) or a common alias (`ts`, `py`, `c++`); undefined: guess. */
  readonly language?: string;
  /** What the user asked, for `ask` and any command that takes a prompt. */
  readonly instruction?: string;
}

export interface ComplexityFeatures {
  /** Lines of the selection (a final line break does not start another line); 0 when empty. */
  readonly lines: number;
  readonly nonBlankLines: number;
  /** Estimated tokens of the selection. */
  readonly tokens: number;
  /** Estimated tokens of the instruction. */
  readonly instructionTokens: number;
  /** Deepest block nesting: braces for brace languages, indentation for Python and the like. */
  readonly nestingDepth: number;
  readonly nestingFrom: 'braces' | 'indentation';
  /** Decision points: if/elif/case/for/while/catch/except, `&&`, `||`, `and`, `or`, `?:`. */
  readonly branches: number;
  /** Function and method definitions, lambdas and arrow functions. */
  readonly functions: number;
  /** Lines longer than {@link LONG_LINE} characters. */
  readonly longLines: number;
  readonly maxLineLength: number;
  /** async/await, threads, locks, atomics, channels... in the code. */
  readonly concurrencyConstructs: number;
  /** The normalized language id used, or undefined when not given. */
  readonly language: string | undefined;
  /** Topics the instruction mentions (`concurrency`, `security`, ...), in the order of {@link TOPICS}. */
  readonly instructionTopics: readonly string[];
  /** Words in the instruction that ask for a small change (`rename`, `typo`, ...). */
  readonly smallChangeWords: readonly string[];
}

/** One reason and the points it adds to the score (0 for reasons that only inform). */
export interface ComplexityContribution {
  readonly reason: string;
  readonly points: number;
}

export interface ComplexityEstimate {
  /** Integer 1..10. */
  readonly score: number;
  /** 1 + the sum of the points, unrounded and unclamped: for ranking requests against each other. */
  readonly raw: number;
  /** Human-readable reasons, in a stable order: size, structure, code, language, task, instruction. */
  readonly reasons: string[];
  readonly contributions: readonly ComplexityContribution[];
  readonly features: ComplexityFeatures;
}

/** A line longer than this counts as long. */
export const LONG_LINE = 120;

/**
 * Points per task, on top of the code: work that must understand the code and change it without breaking it (fix,
 * refactor, review) is harder than work that produces new code from a clear spec (implement, tests), which is harder
 * than describing it (explain, ask) or annotating it (document).
 */
const TASK_POINTS: Readonly<Record<TaskType, number>> = {
  document: -0.5,
  explain: 0,
  ask: 0,
  tests: 0.5,
  implement: 0.5,
  fix: 1,
  review: 1,
  refactor: 1,
};

// ---------------------------------------------------------------------------------------------------------------
// The scanner

interface CodeFacts {
  readonly lines: number;
  readonly nonBlankLines: number;
  readonly tokens: number;
  readonly braceDepth: number;
  readonly indentDepth: number;
  /** `{` seen outside strings and comments. */
  readonly braces: number;
  readonly branches: number;
  readonly functions: number;
  readonly longLines: number;
  readonly maxLineLength: number;
  readonly concurrency: number;
}

const MODE_CODE = 0;
const MODE_LINE_COMMENT = 1;
const MODE_BLOCK_COMMENT = 2;
const MODE_STRING = 3;

const MAX_TRACKED_DEPTH = 256;
/** Reused between calls (the estimator is synchronous): no allocation per call for the stacks. */
const parenIsSignature = new Uint8Array(MAX_TRACKED_DEPTH);
const indentStack = new Int32Array(MAX_TRACKED_DEPTH);

/**
 * Applies one line's indentation to the stack of open indentation levels and returns the new stack size (depth + 1).
 * The first line sets the base; a line indented less than the base (a selection that starts inside a block) lowers it.
 */
function indentLine(indent: number, stackSize: number): number {
  if (stackSize === 0) {
    indentStack[0] = indent;
    return 1;
  }
  let size = stackSize;
  if (indent > indentStack[size - 1]!) {
    if (size < MAX_TRACKED_DEPTH) indentStack[size++] = indent;
    return size;
  }
  while (size > 1 && indentStack[size - 1]! > indent) size--;
  if (indent < indentStack[0]!) indentStack[0] = indent;
  else if (indent > indentStack[size - 1]! && size < MAX_TRACKED_DEPTH) indentStack[size++] = indent;
  return size;
}

function scanCode(text: string, profile: LanguageProfile): CodeFacts {
  const n = text.length;
  const slashComments =
    profile.comments === 'slash' || profile.comments === 'slashAndHash' || profile.comments === 'unknown';
  const hashComments = profile.comments === 'hash' || profile.comments === 'slashAndHash';
  const hashAtLineStart = profile.comments === 'unknown';
  const dashComments = profile.comments === 'dash';
  /** `name(...) {` defines a function only where braces make blocks (in Python, `f(x) or {}` is a dict). */
  const signatures = profile.blocks !== 'indentation';

  let mode = MODE_CODE;
  let quote = 0;
  let multilineString = false;
  let tripleString = false;

  // token counts
  let words = 0;
  let longWordExtra = 0;
  let punctuation = 0;
  let newlines = 0;
  let nonAscii = 0;

  // word being read
  let wordStart = -1;
  let hash = 0;

  // lines
  let nonBlankLines = 0;
  let lineLength = 0;
  let longLines = 0;
  let maxLineLength = 0;
  let atLineStart = true;
  let indent = 0;
  let continuation = false;

  // structure
  let braceDepth = 0;
  let maxBraceDepth = 0;
  let braces = 0;
  let groupDepth = 0;
  let stackSize = 0;
  let maxIndentDepth = 0;
  let branches = 0;
  let functions = 0;
  let concurrency = 0;
  /** The last significant thing in code was a word, and of what kind (0: an ordinary identifier). */
  let lastWasWord = false;
  let lastWordKind = 0;
  /** A `)` closing a parameter-like list was the last significant char: a `{` now opens a function body. */
  let afterSignature = false;
  /** A function keyword was seen: its body's `{` is not counted again. */
  let functionKeywordPending = false;
  /** Open `<` of a return type after a signature (`Promise<Map<K, V>>`), so its commas do not end it. */
  let signatureAngles = 0;

  // One step past the end (c = 0, not a word char) ends a word running to the end of the text, then stops.
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 0;

    // words: counted in every mode, keywords only in code
    if (isWord(c)) {
      if (wordStart < 0) {
        wordStart = i;
        hash = 0;
      }
      hash = (Math.imul(hash, 31) + c) | 0;
      if (atLineStart) {
        atLineStart = false;
        nonBlankLines++;
        if (mode === MODE_CODE && groupDepth === 0 && !continuation) {
          stackSize = indentLine(indent, stackSize);
          if (stackSize - 1 > maxIndentDepth) maxIndentDepth = stackSize - 1;
        }
        continuation = false;
      }
      lineLength++;
      continue;
    }
    if (wordStart >= 0) {
      const length = i - wordStart;
      words++;
      if (length > LONG_WORD) longWordExtra += length - LONG_WORD;
      if (mode === MODE_CODE) {
        const first = text.charCodeAt(wordStart);
        const kind = first >= 48 && first <= 57 ? 0 : keywordKind(text, wordStart, length, hash);
        if (kind & BRANCH_KIND) branches++;
        if (kind & CONCURRENCY_KIND) concurrency++;
        if (kind & FUNCTION_KIND) {
          functions++;
          functionKeywordPending = true;
        }
        if (kind & ENDS_SIGNATURE_KIND) afterSignature = false;
        lastWasWord = true;
        lastWordKind = kind;
      }
      wordStart = -1;
    }
    if (i === n) break;

    if (c === 10) {
      newlines++;
      if (lineLength > LONG_LINE) longLines++;
      if (lineLength > maxLineLength) maxLineLength = lineLength;
      lineLength = 0;
      atLineStart = true;
      indent = 0;
      if (mode === MODE_LINE_COMMENT || (mode === MODE_STRING && !multilineString)) mode = MODE_CODE;
      continue;
    }
    if (c === 13) continue;
    lineLength++;
    if (c === 32 || c === 9) {
      if (atLineStart) indent = c === 9 ? (indent + 4) & ~3 : indent + 1;
      continue;
    }
    if (c >= 128) nonAscii++;
    else punctuation++;

    const firstOnLine = atLineStart;
    if (atLineStart) {
      atLineStart = false;
      nonBlankLines++;
      // A line that starts with a comment, a string continuation or inside brackets does not set indentation.
      const startsComment =
        mode !== MODE_CODE ||
        (c === 35 && (hashComments || hashAtLineStart)) ||
        (c === 47 && slashComments && (text.charCodeAt(i + 1) === 47 || text.charCodeAt(i + 1) === 42)) ||
        (c === 45 && dashComments && text.charCodeAt(i + 1) === 45);
      if (!startsComment && groupDepth === 0 && !continuation) {
        stackSize = indentLine(indent, stackSize);
        if (stackSize - 1 > maxIndentDepth) maxIndentDepth = stackSize - 1;
      }
    }
    continuation = false;

    if (mode === MODE_LINE_COMMENT) continue;
    if (mode === MODE_BLOCK_COMMENT) {
      if (c === 42 && text.charCodeAt(i + 1) === 47) {
        mode = MODE_CODE;
        punctuation++;
        lineLength++;
        i++;
      }
      continue;
    }
    if (mode === MODE_STRING) {
      if (c === 92) {
        // escape: skip the next char unless it ends the line
        const next = text.charCodeAt(i + 1);
        if (next !== 10 && next !== 13 && i + 1 < n) {
          punctuation++;
          lineLength++;
          i++;
        }
      } else if (c === quote) {
        if (!tripleString) mode = MODE_CODE;
        else if (text.charCodeAt(i + 1) === quote && text.charCodeAt(i + 2) === quote) {
          mode = MODE_CODE;
          punctuation += 2;
          lineLength += 2;
          i += 2;
        }
      }
      continue;
    }

    // code
    const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
    switch (c) {
      case 34: // "
      case 96: // `
      case 39: // '
        if (c === 39 && !profile.apostropheQuotes) {
          // a char literal 'x' or '\n' still is one; a lifetime or type variable is not
          if (!(text.charCodeAt(i + 2) === 39 || next === 92)) break;
        }
        mode = MODE_STRING;
        quote = c;
        tripleString = false;
        multilineString = c === 96;
        if (profile.tripleQuotes && c !== 96 && next === c && text.charCodeAt(i + 2) === c) {
          tripleString = true;
          multilineString = true;
          punctuation += 2;
          lineLength += 2;
          i += 2;
        }
        break;
      case 47: // /
        if (slashComments && next === 47) mode = MODE_LINE_COMMENT;
        else if (slashComments && next === 42) {
          mode = MODE_BLOCK_COMMENT;
          punctuation++;
          lineLength++;
          i++;
        }
        break;
      case 35: // #
        if (hashComments || (hashAtLineStart && firstOnLine)) mode = MODE_LINE_COMMENT;
        break;
      case 45: // -
        if (dashComments && next === 45) mode = MODE_LINE_COMMENT;
        break;
      case 123: // {
        braces++;
        braceDepth++;
        if (braceDepth > maxBraceDepth) maxBraceDepth = braceDepth;
        if (afterSignature && signatures && !functionKeywordPending) functions++;
        afterSignature = false;
        functionKeywordPending = false;
        groupDepth++;
        break;
      case 125: // }
        if (braceDepth > 0) braceDepth--;
        if (groupDepth > 0) groupDepth--;
        afterSignature = false;
        break;
      case 40: // (
        afterSignature = false;
        if (groupDepth < MAX_TRACKED_DEPTH) {
          parenIsSignature[groupDepth] = lastWasWord && (lastWordKind & CONTROL_KIND) === 0 ? 1 : 0;
        }
        groupDepth++;
        break;
      case 91: // [
        if (groupDepth < MAX_TRACKED_DEPTH) parenIsSignature[groupDepth] = 0;
        groupDepth++;
        break;
      case 41: // )
        if (groupDepth > 0) groupDepth--;
        afterSignature = groupDepth < MAX_TRACKED_DEPTH && parenIsSignature[groupDepth] === 1;
        signatureAngles = 0;
        lastWasWord = false;
        continue;
      case 93: // ]
        if (groupDepth > 0) groupDepth--;
        break;
      case 44: // , ends `foo(x), b: {` but not `): Map<string, number> {`
        if (signatureAngles === 0) afterSignature = false;
        break;
      case 60: // <
        if (afterSignature) signatureAngles++;
        break;
      case 62: // >
        if (signatureAngles > 0) signatureAngles--;
        break;
      case 59: // ;
        afterSignature = false;
        functionKeywordPending = false;
        break;
      case 61: // =
        if (next === 62) {
          if (profile.arrowIsFunction) functions++;
          punctuation++;
          lineLength++;
          i++;
        }
        afterSignature = false;
        break;
      case 38: // &
        if (next === 38) {
          branches++;
          punctuation++;
          lineLength++;
          i++;
        }
        break;
      case 124: // |
        if (next === 124) {
          branches++;
          punctuation++;
          lineLength++;
          i++;
        }
        break;
      case 63: // ?
        if (next === 63 || next === 46) {
          punctuation++;
          lineLength++;
          i++;
        } else if (i > 0 && text.charCodeAt(i - 1) === 32 && (next === 32 || next === 10 || next === 13 || next === 9)) {
          branches++; // ` ? ` is the conditional operator; `x?: T`, `f(x?)`, `a?.b`, `a ?? b` are not
        }
        break;
      case 92: // \ at the end of a line continues it
        if (next === 10 || (next === 13 && text.charCodeAt(i + 2) === 10)) continuation = true;
        break;
      default:
        break;
    }
    lastWasWord = false;
  }

  // a line running to the end of the text
  if (lineLength > LONG_LINE) longLines++;
  if (lineLength > maxLineLength) maxLineLength = lineLength;
  const endsWithNewline = n > 0 && text.charCodeAt(n - 1) === 10;

  return {
    lines: n === 0 ? 0 : newlines + (endsWithNewline ? 0 : 1),
    nonBlankLines,
    tokens: tokensFromCounts({ words, longWordExtra, punctuation, newlines, nonAscii }),
    braceDepth: maxBraceDepth,
    indentDepth: maxIndentDepth,
    braces,
    branches,
    functions,
    longLines,
    maxLineLength,
    concurrency,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Points

/** Below this many tokens of selection its structure adds nothing; at twice as many it counts in full. */
const STRUCTURE_FROM_TOKENS = 200;

function log2p(x: number): number {
  return Math.log2(1 + x);
}

function clamp(value: number, low: number, high: number): number {
  return value < low ? low : value > high ? high : value;
}

/** Size of the prompt (selection and instruction): ~200 tokens 1 point, ~1,000 tokens 2.6, ~3,000 tokens 4 (the cap). */
function sizePoints(tokens: number): number {
  return clamp(log2p(tokens / 200), 0, 4);
}

/**
 * Structure counts only for a selection long enough for it to mean something: nothing under 200 tokens (about 20
 * lines: deep nesting in ten lines is still ten lines, and the prompt's size already ranks short requests), rising
 * to full weight at 400 tokens. Growing with the tokens, it never lowers the score when code is added.
 */
function structureWeight(tokens: number): number {
  return clamp((tokens - STRUCTURE_FROM_TOKENS) / STRUCTURE_FROM_TOKENS, 0, 1);
}

/** Depth beyond 2 (a function body with one block is ordinary): 0.6 per level, at most 2.4 (depth 6). */
function nestingPoints(depth: number): number {
  return clamp(0.6 * (depth - 2), 0, 2.4);
}

/** Decision points, logarithmic: 4 branches 0.7, 12 1.4, 28 2.1, at most 2.5. */
function branchPoints(branches: number): number {
  return clamp(0.7 * log2p(branches / 4), 0, 2.5);
}

/** Several units that work together: 2 functions 0.4, 4 0.8, 8 or more 1.2. */
function functionPoints(functions: number): number {
  return functions < 2 ? 0 : clamp(0.4 * Math.log2(functions), 0, 1.2);
}

function longLinePoints(longLines: number): number {
  return clamp(0.3 * log2p(longLines), 0, 0.8);
}

/** Concurrency in the code itself: 0.8 for one construct, up to 1.5. */
function concurrencyPoints(constructs: number): number {
  return constructs === 0 ? 0 : clamp(0.8 + 0.25 * Math.log2(constructs), 0, 1.5);
}

/** 3100 -> "3,100" (toLocaleString is slow enough to show in the bench). */
function thousands(count: number): string {
  const digits = String(count);
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return out;
}

function plural(count: number, one: string, many: string): string {
  return `${thousands(count)} ${count === 1 ? one : many}`;
}

function approxTokens(tokens: number): string {
  const rounded = tokens < 100 ? tokens : tokens < 1000 ? Math.round(tokens / 10) * 10 : Math.round(tokens / 100) * 100;
  return `~${thousands(rounded)} ${rounded === 1 ? 'token' : 'tokens'}`;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The size reason: the selection's tokens, the instruction's, or both together. */
function sizeReason(codeTokens: number, instructionTokens: number): string {
  if (instructionTokens === 0) return approxTokens(codeTokens);
  if (codeTokens === 0) return `instruction ${approxTokens(instructionTokens)}`;
  return `${approxTokens(codeTokens + instructionTokens)} with the instruction`;
}

/** Complexity 1..10 of a request, with the reasons and the features behind it. */
export function estimateComplexity(input: ComplexityInput): ComplexityEstimate {
  const language = normalizeLanguage(input.language);
  const profile = (language !== undefined ? LANGUAGES[language] : undefined) ?? UNKNOWN_LANGUAGE;
  const contributions: ComplexityContribution[] = [];
  let total = 0;
  const add = (reason: string, points: number): void => {
    contributions.push({ reason, points: round2(points) });
    total += points;
  };

  const hasCode = input.text.trim().length > 0;
  const facts = scanCode(hasCode ? input.text : '', profile);
  const nestingFrom: 'braces' | 'indentation' =
    profile.blocks === 'braces' || (profile.blocks === 'auto' && facts.braces > 0) ? 'braces' : 'indentation';
  const nestingDepth = nestingFrom === 'braces' ? facts.braceDepth : facts.indentDepth;

  const instruction = input.instruction?.trim() ?? '';
  const instructionTokens = instruction === '' ? 0 : estimateTokens(instruction);
  const codeTokens = hasCode ? facts.tokens : 0;
  // One size for the whole prompt: a long instruction about a short selection weighs like a long selection.
  const promptPoints = sizePoints(codeTokens + instructionTokens);
  if (!hasCode) add('no code selected', 0);
  else add(plural(facts.lines, 'line', 'lines'), 0);
  if (hasCode || promptPoints >= 0.25) add(sizeReason(codeTokens, instructionTokens), promptPoints);
  if (hasCode) {
    const weight = structureWeight(facts.tokens);
    if (nestingDepth >= 2) add(`nesting depth ${nestingDepth}`, weight * nestingPoints(nestingDepth));
    if (facts.branches > 0) add(plural(facts.branches, 'branch', 'branches'), weight * branchPoints(facts.branches));
    if (facts.functions >= 2) {
      add(plural(facts.functions, 'function', 'functions'), weight * functionPoints(facts.functions));
    }
    if (facts.longLines > 0) {
      const reason = facts.longLines === 1 ? 'a long line' : `long lines (${facts.longLines})`;
      add(reason, weight * longLinePoints(facts.longLines));
    }
    if (facts.concurrency > 0) {
      add(
        `concurrency in the code (${plural(facts.concurrency, 'construct', 'constructs')})`,
        weight * concurrencyPoints(facts.concurrency),
      );
    }
    if (profile.points !== 0 && language !== undefined) {
      add(`language: ${language} (${profile.note ?? ''})`, profile.points);
    }
  }

  add(`task: ${input.task}`, TASK_POINTS[input.task]);

  // Topics and small-change words are shares of the size term: they break ties between requests of about the same
  // size and never lift a short request over a long one (complexityTopics.ts says why).
  const read = readInstruction(instruction);
  for (const topic of read.topics) add(`instruction mentions ${topic.name}`, topic.share * promptPoints);
  if (read.smallChangeWords.length > 0) {
    add(`instruction asks for a small change (${read.smallChangeWords.join(', ')})`, read.smallChangeShare * promptPoints);
  }
  const instructionTopics = read.topics.map((topic) => topic.name);
  const smallChangeWords = read.smallChangeWords;

  const raw = 1 + total;
  const score = clamp(Math.round(raw), 1, 10);
  return {
    score,
    raw,
    reasons: contributions.map((contribution) => contribution.reason),
    contributions,
    features: {
      lines: facts.lines,
      nonBlankLines: facts.nonBlankLines,
      tokens: hasCode ? facts.tokens : 0,
      instructionTokens,
      nestingDepth,
      nestingFrom,
      branches: facts.branches,
      functions: facts.functions,
      longLines: facts.longLines,
      maxLineLength: facts.maxLineLength,
      concurrencyConstructs: facts.concurrency,
      language,
      instructionTopics,
      smallChangeWords,
    },
  };
}
