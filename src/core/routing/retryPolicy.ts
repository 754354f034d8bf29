/**
 * When to try the same candidate again, and after how long. The router is the only retry loop (STYLE 8): adapters
 * never retry; this function decides, the router sleeps on its clock and moves to the next candidate when told not
 * to retry.
 *
 * Backoff: exponential with FULL jitter, delay = random(0, min(maxDelay, base × 2^(attempt-1))). Full jitter is
 * stateless (a pure function of the attempt number, so it needs no per-request memory and tests pin it with a
 * seeded random), and in AWS's comparison ("Exponential Backoff And Jitter", 2015) it does the least total work
 * among the jittered variants; decorrelated jitter finishes slightly sooner but needs the previous delay carried
 * between calls. A Retry-After from the provider wins when it is longer: delay = max(backoff, Retry-After), and may
 * exceed `maxDelayMs` up to `retryAfterCapMs`; beyond that cap we do not wait, the next candidate gets the request.
 */
import type { RetryConfig } from '../config/types';
import type { ErrorKind } from '../providers/errors';
import { formatMs } from '../util/format';

/** What the policy needs from a failure; a `ProviderError` fits. */
export interface RetryableFailure {
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  readonly retryAfterMs?: number | undefined;
  /** Output had already streamed: retrying would show the user a second answer after part of a first one. */
  readonly partialOutput?: boolean;
}

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly reason: string };

/** The jittered exponential backoff for a retry after `attempt` failed attempts (1 = after the first). */
export function backoffDelay(attempt: number, config: RetryConfig, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(config.maxDelayMs, config.baseDelayMs * 2 ** Math.min(exponent, 52));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}

/**
 * Whether to try the same candidate again after `attempt` attempts (first try included) ended with `error`.
 * Never retries an abort, an auth error, a non-retryable error, or a stream that had already produced output.
 */
export function nextDelay(
  attempt: number,
  error: RetryableFailure,
  config: RetryConfig,
  random: () => number = Math.random,
): RetryDecision {
  if (error.kind === 'aborted') return { retry: false, reason: 'aborted: never retried' };
  if (error.kind === 'auth') return { retry: false, reason: 'authentication error: never retried' };
  if (!error.retryable) return { retry: false, reason: `${error.kind.replace('_', ' ')} is not retryable` };
  if (error.partialOutput) return { retry: false, reason: 'the stream broke after output had started' };
  if (attempt >= config.maxAttemptsPerCandidate) {
    const made = `${attempt} attempt${attempt === 1 ? '' : 's'} made`;
    return { retry: false, reason: `${made} (at most ${config.maxAttemptsPerCandidate} per candidate)` };
  }
  const backoff = backoffDelay(attempt, config, random);
  const retryAfter = error.retryAfterMs;
  if (retryAfter === undefined) return { retry: true, delayMs: backoff };
  if (retryAfter > config.retryAfterCapMs) {
    return {
      retry: false,
      reason: `retry-after ${formatMs(retryAfter)} exceeds the ${formatMs(config.retryAfterCapMs)} cap`,
    };
  }
  return { retry: true, delayMs: Math.max(backoff, retryAfter) };
}
