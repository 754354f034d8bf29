/**
 * Where the key limits of every process using one data directory meet (VS Code windows, CLI runs): the router reads
 * it before it picks a key and takes a request under its lock, so a requests-per-day quota counts every window, every
 * CLI run and survives restarts. The ledger folder's `key-limits.json` implements it (src/core/ledger/keyLimits.ts);
 * without one, limits count this process only.
 */
import type { LimiterState } from './rateLimiter';

/** The limiter states of one provider's keys, by key id (`*` is the provider's own minimum interval). */
export type ProviderLimitStates = Readonly<Record<string, LimiterState>>;

export interface SharedLimitStore {
  /** The provider's states as last written (no lock: the file is replaced whole by a rename). */
  read(providerId: string): Promise<ProviderLimitStates>;
  /**
   * Under the lock: reads the provider's states, passes them to `fn` and writes what it returns (`states` undefined:
   * nothing changed). Returns `fn`'s result.
   */
  update<T>(providerId: string, now: number, fn: (states: ProviderLimitStates) => { readonly states?: ProviderLimitStates; readonly result: T }): Promise<T>;
}
