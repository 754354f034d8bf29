/**
 * What the complexity estimate (complexity.ts) reads in an instruction besides its length: topics that need a
 * stronger model (concurrency, security, ...: points, capped together) and words that ask for a small change
 * (typo, rename, ...: points taken away). Stems match at the start of a word of the normalized text.
 */

export interface ComplexityTopic {
  readonly name: string;
  readonly points: number;
  /** Word starts (`optimi` matches optimize, optimise, optimization) or phrases, lower case. */
  readonly stems: readonly string[];
}

/** What the instruction may ask for that needs a stronger model, most demanding first. */
export const TOPICS: readonly ComplexityTopic[] = [
  {
    name: 'concurrency',
    points: 1.5,
    stems: [
      'concurren', 'thread', 'race', 'data race', 'deadlock', 'livelock', 'mutex', 'lock', 'semaphore',
      'atomic', 'parallel', 'async', 'await', 'goroutine', 'multiprocess', 'synchroniz', 'reentran', 'lock free',
    ],
  },
  {
    name: 'security',
    points: 1.5,
    stems: [
      'secur', 'vulnerab', 'exploit', 'crypto', 'encrypt', 'decrypt', 'cipher', 'authenticat', 'authoriz', 'xss', 'csrf',
      'injection', 'saniti', 'privilege', 'secret', 'password', 'tls', 'jwt', 'oauth',
    ],
  },
  {
    name: 'distributed systems',
    points: 1.5,
    stems: [
      'distributed', 'consensus', 'transaction', 'replica', 'linearizab', 'idempoten', 'eventual', 'sharding', 'quorum',
      'migration', 'migrate', 'schema change', 'exactly once', 'at least once',
    ],
  },
  {
    name: 'performance',
    points: 1,
    stems: [
      'performan', 'optimi', 'speed up', 'faster', 'slow', 'latency', 'throughput', 'memory leak', 'profiling',
      'profiler', 'bottleneck',
      'cache', 'caching', 'time complexity', 'big o', 'o n',
    ],
  },
  {
    name: 'algorithms',
    points: 1,
    stems: [
      'algorithm', 'dynamic programming', 'recurs', 'memoiz', 'backtrack', 'graph', 'shortest path', 'subsequence',
      'permutation', 'combinat', 'greedy', 'heap', 'binary search', 'bitwise', 'bit manipulation', 'topological',
      'np hard', 'knapsack',
    ],
  },
  {
    name: 'parsing',
    points: 1,
    stems: ['regex', 'regular expression', 'pars', 'grammar', 'tokeniz', 'lexer', 'serializ', 'deserializ'],
  },
  {
    name: 'architecture',
    points: 1,
    stems: ['architect', 'redesign', 'design pattern', 'scalab', 'across modules', 'across files', 'whole codebase'],
  },
  {
    name: 'hard bugs',
    points: 1,
    stems: [
      'intermittent', 'flaky', 'heisenbug', 'memory corruption', 'undefined behavio', 'segfault', 'segmentation fault',
    ],
  },
  {
    name: 'numerics',
    points: 0.75,
    stems: [
      'numerical', 'floating point', 'precision', 'overflow', 'probabilit', 'statistic', 'geometr', 'proof', 'invariant',
    ],
  },
];

/** Points for all topics together are capped: three topics already make heavy work. */
const TOPIC_CAP = 3;

/** Instruction words that ask for a small, local change. */
const SMALL_CHANGE_STEMS: readonly string[] = ['typo', 'rename', 'spelling', 'reformat', 'format', 'indent', 'trivial'];
const SMALL_CHANGE_POINTS = -0.5;
const SMALL_CHANGE_CAP = -1;

/** Lower case, runs of anything but letters and digits as one space, padded: ` word word `. */
function normalizeWords(text: string): string {
  return ` ${text.toLowerCase().replace(/[^a-z0-9]+/g, ' ')} `;
}

/** Stems with their leading space, built once: a stem matches at the start of a word. */
const TOPIC_NEEDLES: readonly (readonly string[])[] = TOPICS.map((topic) => topic.stems.map((stem) => ` ${stem}`));
const SMALL_CHANGE_NEEDLES: readonly string[] = SMALL_CHANGE_STEMS.map((stem) => ` ${stem}`);

/** What an instruction asks for beyond its length: the topics found (with the points each grants) and small-change words. */
export interface InstructionReading {
  /** In the order of {@link TOPICS}; together at most {@link TOPIC_CAP} points. */
  readonly topics: readonly { readonly name: string; readonly points: number }[];
  readonly smallChangeWords: readonly string[];
  /** Negative, at least {@link SMALL_CHANGE_CAP}; 0 without small-change words. */
  readonly smallChangePoints: number;
}

export function readInstruction(instruction: string): InstructionReading {
  if (instruction === '') return { topics: [], smallChangeWords: [], smallChangePoints: 0 };
  const normalized = normalizeWords(instruction);
  const topics: { name: string; points: number }[] = [];
  let topicPoints = 0;
  for (let t = 0; t < TOPICS.length; t++) {
    const topic = TOPICS[t]!;
    if (!TOPIC_NEEDLES[t]!.some((needle) => normalized.includes(needle))) continue;
    const granted = Math.min(topic.points, TOPIC_CAP - topicPoints);
    topicPoints += granted;
    topics.push({ name: topic.name, points: granted });
  }
  const smallChangeWords: string[] = [];
  let smallChangePoints = 0;
  for (let w = 0; w < SMALL_CHANGE_STEMS.length; w++) {
    if (!normalized.includes(SMALL_CHANGE_NEEDLES[w]!)) continue;
    smallChangeWords.push(SMALL_CHANGE_STEMS[w]!);
    smallChangePoints += Math.max(SMALL_CHANGE_POINTS, SMALL_CHANGE_CAP - smallChangePoints);
  }
  return { topics, smallChangeWords, smallChangePoints };
}
