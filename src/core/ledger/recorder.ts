/**
 * Recording finished requests: the one place that turns the router's decisions into ledger records, appends them
 * (with any feedback lines in the same write) and then releases the requests' budget holds. The extension and the
 * CLI both call it and only decide how to tell the user what went wrong.
 *
 * Until the records are durable, the requests' costs stay pending (budgets still count them); the holds are released
 * only once the ledger has the records.
 */
import type { Decision } from '../routing/decision';
import type { SecretScrubber } from '../util/secrets';
import type { LedgerRecord } from './record';
import { toLedgerRecord } from './record';
import type { PendingSpend } from './spend';
import type { LedgerStore } from './store';

export interface RecordDecisionsOptions {
  readonly store: Pick<LedgerStore, 'appendMany'>;
  /** The spend source whose holds the requests took (absent: nothing to release). */
  readonly spend?: Pick<PendingSpend, 'recorded'> | undefined;
  /** The instruction text, stored only when `storeInstruction` is true. */
  readonly instruction?: string | undefined;
  readonly storeInstruction: boolean;
  /** Every key value and base URL password the caller knows (see RecordOptions.secrets). */
  readonly secrets: SecretScrubber;
  /** Lines written with the requests, in the same append (a comparison's picks). */
  readonly extra?: readonly LedgerRecord[];
}

export type RecordOutcome =
  /** Durable; `holdsError` when the budget holds could not be released (they lapse when the process is gone). */
  | { readonly recorded: true; readonly records: readonly LedgerRecord[]; readonly holdsError?: unknown }
  /** Not durable: `error` is why; the requests' costs stay pending. */
  | { readonly recorded: false; readonly records: readonly LedgerRecord[]; readonly error: unknown };

/** Records `decisions` (and `extra`) in the ledger, then releases their budget holds. A failed write or release is returned, never thrown. */
export async function recordDecisions(decisions: readonly Decision[], options: RecordDecisionsOptions): Promise<RecordOutcome> {
  const records = decisions.map((decision) =>
    toLedgerRecord(decision, {
      ...(options.instruction !== undefined ? { instruction: options.instruction } : {}),
      storeInstruction: options.storeInstruction,
      secrets: options.secrets,
    }),
  );
  const all = options.extra?.length ? [...records, ...options.extra] : records;
  try {
    await options.store.appendMany(all);
  } catch (error) {
    return { recorded: false, records: all, error };
  }
  try {
    for (const decision of decisions) await options.spend?.recorded(decision.id);
  } catch (error) {
    return { recorded: true, records: all, holdsError: error };
  }
  return { recorded: true, records: all };
}
