/**
 * Problems found in a configuration source, with where they are, and the helpers that word them.
 */
import { maskUrlCredentials } from '../util/secrets';

export type ConfigPath = readonly (string | number)[];

export interface ConfigDiagnostic {
  /** The file path, or `settings` for the settings layer. */
  readonly file: string;
  /** 1-based line of the offending node (or of its parent key when the node is missing); absent for settings. */
  readonly line?: number;
  /** 1-based column, with `line`. */
  readonly column?: number;
  /** Dotted path of the offending value, e.g. `providers.anthropic.keys[0].limits.rpm`; `` for the whole file. */
  readonly key: string;
  readonly message: string;
  /** `error`: the value (or the whole file, for a file that does not validate) is not used. `warning`: used, cleaned. */
  readonly severity: 'error' | 'warning';
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `["providers", "anthropic", "keys", 0, "limits"]` -> `providers.anthropic.keys[0].limits`; odd keys are quoted. */
export function formatKeyPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
    } else if (looksLikeSecret(segment)) {
      out += '[(a name that looks like an API key)]';
    } else if (isOpaqueToken(segment)) {
      out += `[(a ${segment.length}-character name)]`;
    } else if (IDENTIFIER.test(segment)) {
      out += out === '' ? segment : `.${segment}`;
    } else {
      out += `[${JSON.stringify(segment)}]`;
    }
  }
  return out;
}

/** `file:line:column: severity: message`, the form editors and terminals link. */
export function formatDiagnostic(diagnostic: ConfigDiagnostic): string {
  const where =
    diagnostic.line === undefined
      ? diagnostic.file
      : `${diagnostic.file}:${diagnostic.line}:${diagnostic.column ?? 1}`;
  return `${where}: ${diagnostic.severity}: ${diagnostic.message}`;
}

function editDistance(a: string, b: string): number {
  // Optimal string alignment distance (Levenshtein plus adjacent transpositions: "reasonnig" -> "reasoning" is 1),
  // with three rolling rows: it runs once per unknown key and candidate, so it must not allocate a matrix each time.
  const cols = b.length + 1;
  let before = new Array<number>(cols).fill(0);
  let previous = Array.from({ length: cols }, (_, j) => j);
  let current = new Array<number>(cols).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, before[j - 2]! + 1);
      }
      current[j] = best;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length]!;
}

/** Longer words are never taken for a typo of a key (and would make the comparison slow). */
const MAX_TYPO_LENGTH = 64;

/** The closest of `candidates` to `word` when it is a plausible typo of it (case ignored), else undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  if (word.length > MAX_TYPO_LENGTH) return undefined;
  const lower = word.toLowerCase();
  const allowed = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    // The distance is at least the difference in length: no need to compute it when that is already too far.
    if (Math.abs(candidate.length - word.length) > allowed) continue;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= allowed ? best : undefined;
}

/** Tokens shaped like a provider API key (sk-..., sk-ant-..., AIza..., GitHub / Slack / Hugging Face tokens, Bearer). */
const KEY_SHAPES: readonly RegExp[] = [
  /(?:^|[^A-Za-z0-9])sk-[A-Za-z0-9_-]{16,}/,
  /(?:^|[^A-Za-z0-9])AIza[0-9A-Za-z_-]{30,}/,
  /(?:^|[^A-Za-z0-9])(?:ghp|gho|ghu|ghs|github_pat|xox[abpr]|hf|gsk|pplx|r8|nvapi)[-_][A-Za-z0-9_-]{16,}/,
  /Bearer\s+\S{16,}/i,
];

/** Whether a string is or contains something that looks like an API key value. */
export function looksLikeSecret(value: string): boolean {
  return KEY_SHAPES.some((shape) => shape.test(value));
}

/** The longest value quoted whatever it looks like: short values are names and typos worth a "did you mean". */
const ALWAYS_QUOTED_LENGTH = 16;

/** One word of a value that reads as a name: letters, short numbers (dates, versions), short mixed parts (v1, 4o). */
function readsAsName(word: string): boolean {
  return word.split(/[-_./:@+=]/).every(
    (part) => /^[A-Za-z]{0,24}$/.test(part) || /^\d{1,8}$/.test(part) || (part.length <= 6 && /^[A-Za-z0-9]+$/.test(part)),
  );
}

/**
 * Whether a value holds a long opaque token (a word of more than 16 characters that is no URL and does not read as a
 * name: `4f9a8b7c6d5e...`, base64): a key pasted where a name or URL belongs, whatever its provider. Such a value is
 * never quoted, not even in part; messages give its length and its position instead.
 */
export function isOpaqueToken(value: string): boolean {
  return value
    .split(/\s+/)
    .some((word) => word.length > ALWAYS_QUOTED_LENGTH && !/^[a-z][a-z0-9+.-]*:\/\//i.test(word) && !readsAsName(word));
}

/**
 * A value quoted for a message: never a key-shaped string nor a long opaque token (`kind` then says what is wrong
 * with it, e.g. "that is not a URL"), never URL credentials, never more than 40 characters.
 */
export function describeValue(value: unknown, kind?: string): string {
  if (typeof value === 'string') {
    if (looksLikeSecret(value)) {
      return '(a value that looks like an API key, not shown)';
    }
    if (isOpaqueToken(value)) {
      return `a ${value.length}-character value${kind ? ` ${kind}` : ''}, not shown as it may be an API key`;
    }
    const masked = maskUrlCredentials(value);
    const shown = masked.length > 40 ? `${masked.slice(0, 37)}...` : masked;
    return JSON.stringify(shown);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === undefined) return String(value);
  return `a ${typeof value}`;
}

/** A key or id name quoted inside a sentence: like {@link describeValue}, with an opaque one in parentheses. */
export function describeName(name: string): string {
  return isOpaqueToken(name) ? `(a ${name.length}-character name, not shown as it may be an API key)` : describeValue(name);
}
