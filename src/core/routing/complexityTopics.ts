/**
 * What the complexity estimate (complexity.ts) reads in an instruction besides its length: topics that may need a
 * stronger model (concurrency, security, ...) and words that ask for a small change (typo, rename, ...). Stems match
 * at the start of a word of the normalized text.
 *
 * Both are priors with no measured value: on code tasks the router had not seen, and again on the routing
 * development set, giving topics points of their own (up to 1.5 each) ranked requests WORSE than their size alone:
 * a short task that mentions an algorithm outranked tasks several times its length. A prior without evidence may
 * break ties, never override the evidence: a topic is a SHARE of the size term (complexity.ts), so it moves a request
 * only against requests of about its size (a 0.1 share is worth 10-25% more prompt), and it grows with the request
 * instead of lifting a two-liner over a long task.
 */

export interface ComplexityTopic {
  readonly name: string;
  /** Share of the size term the topic adds: 0.1 for the most demanding, less for the rest. */
  readonly share: number;
  /** Word starts (`optimi` matches optimize, optimise, optimization) or phrases, lower case. */
  readonly stems: readonly string[];
}

/** What the instruction may ask for that needs a stronger model, most demanding first. */
export const TOPICS: readonly ComplexityTopic[] = [
  {
    name: 'concurrency',
    share: 0.1,
    stems: [
      'concurren', 'thread', 'race', 'data race', 'deadlock', 'livelock', 'mutex', 'lock', 'semaphore',
      'atomic', 'parallel', 'async', 'await', 'goroutine', 'multiprocess', 'synchroniz', 'reentran', 'lock free',
    ],
  },
  {
    name: 'security',
    share: 0.1,
    stems: [
      'secur', 'vulnerab', 'exploit', 'crypto', 'encrypt', 'decrypt', 'cipher', 'authenticat', 'authoriz', 'xss', 'csrf',
      'injection', 'saniti', 'privilege', 'secret', 'password', 'tls', 'jwt', 'oauth',
    ],
  },
  {
    name: 'distributed systems',
    share: 0.1,
    stems: [
      'distributed', 'consensus', 'transaction', 'replica', 'linearizab', 'idempoten', 'eventual', 'sharding', 'quorum',
      'migration', 'migrate', 'schema change', 'exactly once', 'at least once',
    ],
  },
  {
    name: 'performance',
    share: 0.07,
    stems: [
      'performan', 'optimi', 'speed up', 'faster', 'slow', 'latency', 'throughput', 'memory leak', 'profiling',
      'profiler', 'bottleneck',
      'cache', 'caching', 'time complexity', 'big o', 'o n',
    ],
  },
  {
    name: 'algorithms',
    share: 0.07,
    stems: [
      'algorithm', 'dynamic programming', 'recurs', 'memoiz', 'backtrack', 'graph', 'shortest path', 'subsequence',
      'permutation', 'combinat', 'greedy', 'heap', 'binary search', 'bitwise', 'bit manipulation', 'topological',
      'np hard', 'knapsack',
    ],
  },
  {
    name: 'parsing',
    share: 0.07,
    stems: ['regex', 'regular expression', 'pars', 'grammar', 'tokeniz', 'lexer', 'serializ', 'deserializ'],
  },
  {
    name: 'architecture',
    share: 0.07,
    stems: ['architect', 'redesign', 'design pattern', 'scalab', 'across modules', 'across files', 'whole codebase'],
  },
  {
    name: 'hard bugs',
    share: 0.07,
    stems: [
      'intermittent', 'flaky', 'heisenbug', 'memory corruption', 'undefined behavio', 'segfault', 'segmentation fault',
    ],
  },
  {
    name: 'numerics',
    share: 0.05,
    stems: [
      'numerical', 'floating point', 'precision', 'overflow', 'probabilit', 'statistic', 'geometr', 'proof', 'invariant',
    ],
  },
];

/** All topics together add at most this share of the size term. */
const TOPIC_CAP = 0.2;

/** Instruction words that ask for a small, local change. */
const SMALL_CHANGE_STEMS: readonly string[] = ['typo', 'rename', 'spelling', 'reformat', 'format', 'indent', 'trivial'];
/** Share of the size term each small-change word takes away, and all of them together at most. */
const SMALL_CHANGE_SHARE = -0.05;
const SMALL_CHANGE_CAP = -0.1;

/** Lower case, runs of anything but letters and digits as one space, padded: ` word word `. */
function normalizeWords(text: string): string {
  return ` ${text.toLowerCase().replace(/[^a-z0-9]+/g, ' ')} `;
}

/** Stems with their leading space, built once: a stem matches at the start of a word. */
const TOPIC_NEEDLES: readonly (readonly string[])[] = TOPICS.map((topic) => topic.stems.map((stem) => ` ${stem}`));
const SMALL_CHANGE_NEEDLES: readonly string[] = SMALL_CHANGE_STEMS.map((stem) => ` ${stem}`);

/**
 * What an instruction asks for beyond its length: the topics found (with the share of the size term each grants)
 * and small-change words.
 */
export interface InstructionReading {
  /** In the order of {@link TOPICS}; together at most {@link TOPIC_CAP}. */
  readonly topics: readonly { readonly name: string; readonly share: number }[];
  readonly smallChangeWords: readonly string[];
  /** Negative, at least {@link SMALL_CHANGE_CAP}; 0 without small-change words. */
  readonly smallChangeShare: number;
}

export function readInstruction(instruction: string): InstructionReading {
  if (instruction === '') return { topics: [], smallChangeWords: [], smallChangeShare: 0 };
  const normalized = normalizeWords(instruction);
  const topics: { name: string; share: number }[] = [];
  let topicShare = 0;
  for (let t = 0; t < TOPICS.length; t++) {
    const topic = TOPICS[t]!;
    if (!TOPIC_NEEDLES[t]!.some((needle) => normalized.includes(needle))) continue;
    const granted = Math.min(topic.share, TOPIC_CAP - topicShare);
    topicShare += granted;
    topics.push({ name: topic.name, share: granted });
  }
  const smallChangeWords: string[] = [];
  let smallChangeShare = 0;
  for (let w = 0; w < SMALL_CHANGE_STEMS.length; w++) {
    if (!normalized.includes(SMALL_CHANGE_NEEDLES[w]!)) continue;
    smallChangeWords.push(SMALL_CHANGE_STEMS[w]!);
    smallChangeShare += Math.max(SMALL_CHANGE_SHARE, SMALL_CHANGE_CAP - smallChangeShare);
  }
  return { topics, smallChangeWords, smallChangeShare };
}
