/**
 * Keywords the complexity scanner (complexity.ts) recognises in code, with what each one means for structure
 * (a branch, a control word, a function definition, concurrency), found by a rolling hash of each word so that no
 * word is sliced out of the text: the scanner hashes a word as it reads it and asks {@link keywordKind} once at its
 * end.
 */

export const BRANCH = 1;
/** Precedes `(` without being a function name: `if (`, `while (`, `return (`. */
export const CONTROL = 2;
/** Defines a function: counted at the keyword. */
export const FUNCTION = 4;
export const CONCURRENCY = 8;
/** After `foo(x)`, this word means the next `{` is not a function body: `foo(x) else {`, `return {`. */
export const ENDS_SIGNATURE = 16;

const CODE_KEYWORDS: ReadonlyArray<readonly [string, number]> = [
  ['if', BRANCH | CONTROL | ENDS_SIGNATURE],
  ['elif', BRANCH | CONTROL | ENDS_SIGNATURE],
  ['elsif', BRANCH | CONTROL | ENDS_SIGNATURE],
  ['elseif', BRANCH | CONTROL | ENDS_SIGNATURE],
  ['unless', BRANCH | CONTROL | ENDS_SIGNATURE],
  ['case', BRANCH | ENDS_SIGNATURE],
  ['when', BRANCH | CONTROL | ENDS_SIGNATURE],
  ['guard', BRANCH | CONTROL | ENDS_SIGNATURE],
  ['for', BRANCH | CONTROL | ENDS_SIGNATURE],
  ['foreach', BRANCH | CONTROL | ENDS_SIGNATURE],
  ['while', BRANCH | CONTROL | ENDS_SIGNATURE],
  ['until', BRANCH | CONTROL | ENDS_SIGNATURE],
  ['catch', BRANCH | CONTROL | ENDS_SIGNATURE],
  ['except', BRANCH | CONTROL | ENDS_SIGNATURE],
  ['rescue', BRANCH | CONTROL | ENDS_SIGNATURE],
  ['and', BRANCH | CONTROL | ENDS_SIGNATURE],
  ['or', BRANCH | CONTROL | ENDS_SIGNATURE],
  ['switch', CONTROL | ENDS_SIGNATURE],
  ['match', CONTROL | ENDS_SIGNATURE],
  ['else', CONTROL | ENDS_SIGNATURE],
  ['do', CONTROL | ENDS_SIGNATURE],
  ['try', CONTROL | ENDS_SIGNATURE],
  ['with', CONTROL | ENDS_SIGNATURE],
  ['return', CONTROL | ENDS_SIGNATURE],
  ['throw', CONTROL | ENDS_SIGNATURE],
  ['raise', CONTROL | ENDS_SIGNATURE],
  ['yield', CONTROL | ENDS_SIGNATURE],
  ['typeof', CONTROL],
  ['sizeof', CONTROL],
  ['new', CONTROL | ENDS_SIGNATURE],
  ['in', CONTROL],
  ['of', CONTROL],
  ['not', CONTROL],
  ['assert', CONTROL],
  ['using', CONTROL],
  ['function', FUNCTION | CONTROL],
  ['def', FUNCTION | CONTROL],
  ['fn', FUNCTION | CONTROL],
  ['func', FUNCTION | CONTROL],
  ['fun', FUNCTION | CONTROL],
  ['lambda', FUNCTION | CONTROL],
  ['sub', FUNCTION | CONTROL],
  ['proc', FUNCTION | CONTROL],
  ['async', CONCURRENCY | CONTROL],
  ['await', CONCURRENCY | CONTROL],
  ['lock', CONCURRENCY | CONTROL],
  ['synchronized', CONCURRENCY | CONTROL],
  ['Promise', CONCURRENCY],
  ['thread', CONCURRENCY],
  ['threads', CONCURRENCY],
  ['Thread', CONCURRENCY],
  ['threading', CONCURRENCY],
  ['Mutex', CONCURRENCY],
  ['mutex', CONCURRENCY],
  ['RwLock', CONCURRENCY],
  ['RLock', CONCURRENCY],
  ['Lock', CONCURRENCY],
  ['ReentrantLock', CONCURRENCY],
  ['Semaphore', CONCURRENCY],
  ['semaphore', CONCURRENCY],
  ['atomic', CONCURRENCY],
  ['Atomic', CONCURRENCY],
  ['Atomics', CONCURRENCY],
  ['AtomicInteger', CONCURRENCY],
  ['AtomicBoolean', CONCURRENCY],
  ['AtomicReference', CONCURRENCY],
  ['SharedArrayBuffer', CONCURRENCY],
  ['volatile', CONCURRENCY],
  ['spawn', CONCURRENCY],
  ['chan', CONCURRENCY],
  ['WaitGroup', CONCURRENCY],
  ['asyncio', CONCURRENCY],
  ['multiprocessing', CONCURRENCY],
  ['concurrent', CONCURRENCY],
  ['Executor', CONCURRENCY],
  ['ExecutorService', CONCURRENCY],
  ['CompletableFuture', CONCURRENCY],
  ['CountDownLatch', CONCURRENCY],
  ['Worker', CONCURRENCY],
  ['tokio', CONCURRENCY],
  ['rayon', CONCURRENCY],
  ['goroutine', CONCURRENCY],
];

export function wordHash(word: string): number {
  let hash = 0;
  for (let i = 0; i < word.length; i++) hash = (Math.imul(hash, 31) + word.charCodeAt(i)) | 0;
  return hash;
}

/** Keyword entries by hash; a hit is confirmed by comparing the text in place. */
const KEYWORDS_BY_HASH: ReadonlyMap<number, ReadonlyArray<readonly [string, number]>> = (() => {
  const byHash = new Map<number, Array<readonly [string, number]>>();
  for (const entry of CODE_KEYWORDS) {
    const hash = wordHash(entry[0]);
    const list = byHash.get(hash);
    if (list) list.push(entry);
    else byHash.set(hash, [entry]);
  }
  return byHash;
})();
const LONGEST_KEYWORD = CODE_KEYWORDS.reduce((longest, [word]) => Math.max(longest, word.length), 0);

export function keywordKind(text: string, start: number, length: number, hash: number): number {
  if (length > LONGEST_KEYWORD) return 0;
  const entries = KEYWORDS_BY_HASH.get(hash);
  if (entries === undefined) return 0;
  for (const [word, kind] of entries) {
    if (word.length === length && text.startsWith(word, start)) return kind;
  }
  return 0;
}
