/**
 * Token counts a provider reports are outside input: a server at a provider's URL can send 9e14, -5, 12.5, a string or
 * nothing, and the ledger and the budget would book it. {@link boundUsage} keeps what is plausible for what was
 * actually sent and received, and replaces the rest with the router's own estimate, saying why.
 *
 * JUDGEMENT on the bounds:
 * - A token is at least one byte of UTF-8 in every tokenizer in use (byte-level BPE falls back to single bytes), and a
 *   UTF-16 character is at most 3 bytes of UTF-8 (a surrogate pair is 2 characters and 4 bytes), so a text of `n`
 *   characters is at most `3n` tokens.
 * - The provider adds its own prompt text (chat template, tool and safety preambles): up to {@link PROMPT_OVERHEAD_TOKENS}.
 *   No model reads more than {@link MAX_PROMPT_TOKENS} (the largest context windows are 1-2 million tokens).
 * - Reasoning models bill hidden "thinking" tokens as output without streaming them (Gemini's are folded into output
 *   by the adapter), so output may exceed the text received by up to {@link HIDDEN_OUTPUT_TOKENS}, and never the
 *   output cap the request set.
 */
import type { Usage } from '../providers/types';

export const MAX_PROMPT_TOKENS = 2_000_000;
export const PROMPT_OVERHEAD_TOKENS = 16_384;
export const HIDDEN_OUTPUT_TOKENS = 65_536;
const TOKENS_PER_CHAR = 3;

/** What the router knows about one attempt, independently of the provider. */
export interface UsageEvidence {
  /** Characters of the prompt sent (system prompt and messages). */
  readonly promptChars: number;
  /** The router's estimate of the prompt's tokens. */
  readonly promptTokens: number;
  /** Characters of answer text received. */
  readonly outputChars: number;
  /** The router's estimate of the answer's tokens. */
  readonly outputTokens: number;
  /** The output cap sent with the request, when one was. */
  readonly maxOutputTokens?: number;
}

export interface BoundedUsage {
  readonly usage: Usage;
  /** Set when some reported count was not believed: what was wrong (the counts then hold the router's estimate). */
  readonly implausible?: string;
}

/** Why `value` is not a token count, or undefined when it is one. */
function notACount(name: string, value: unknown): string | undefined {
  if (typeof value !== 'number') return `${name} is ${value === null ? 'null' : typeof value}, not a number`;
  if (!Number.isFinite(value)) return `${name} is ${value}`;
  if (value < 0) return `${name} is negative (${value})`;
  if (!Number.isInteger(value)) return `${name} is not a whole number (${value})`;
  return undefined;
}

/** A count for a message: short, and never a huge exponent spelled out. */
function show(value: number): string {
  return value >= 1e15 ? value.toExponential(2) : Math.round(value).toLocaleString('en-US');
}

/**
 * The reported usage where it is plausible; where not, the prompt side (input, cache reads, cache writes) or the
 * output side replaced by the estimate from the evidence, with the reason.
 */
export function boundUsage(reported: Usage, evidence: UsageEvidence): BoundedUsage {
  const problems: string[] = [];
  let { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens } = reported;

  const promptProblems = [
    notACount('inputTokens', inputTokens),
    notACount('cacheReadTokens', cacheReadTokens),
    notACount('cacheWriteTokens', cacheWriteTokens),
  ].filter((p): p is string => p !== undefined);
  if (promptProblems.length === 0) {
    const prompt = inputTokens + cacheReadTokens + cacheWriteTokens;
    const ceiling = Math.min(MAX_PROMPT_TOKENS, evidence.promptChars * TOKENS_PER_CHAR + PROMPT_OVERHEAD_TOKENS);
    if (prompt > ceiling) {
      promptProblems.push(`${show(prompt)} prompt tokens for ${show(evidence.promptChars)} characters sent (at most ${show(ceiling)} plausible)`);
    }
  }
  if (promptProblems.length > 0) {
    problems.push(...promptProblems);
    inputTokens = evidence.promptTokens;
    cacheReadTokens = 0;
    cacheWriteTokens = 0;
  }

  let outputProblem = notACount('outputTokens', outputTokens);
  if (outputProblem === undefined) {
    let ceiling = evidence.outputChars * TOKENS_PER_CHAR + HIDDEN_OUTPUT_TOKENS;
    if (evidence.maxOutputTokens !== undefined) ceiling = Math.min(ceiling, Math.max(evidence.maxOutputTokens, evidence.outputTokens));
    if (outputTokens > ceiling) {
      outputProblem = `${show(outputTokens)} output tokens for ${show(evidence.outputChars)} characters received (at most ${show(ceiling)} plausible)`;
    }
  }
  if (outputProblem !== undefined) {
    problems.push(outputProblem);
    outputTokens = evidence.outputTokens;
  }

  if (problems.length === 0) return { usage: reported };
  return {
    usage: { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens },
    implausible: `the provider reported implausible usage (${problems.join('; ')}); booked the router's estimate instead`,
  };
}
