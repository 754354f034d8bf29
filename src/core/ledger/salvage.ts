/**
 * A damaged ledger database: recognising the error SQLite gives when a query meets a damaged page, and reading back
 * the requests that are still readable so a rebuild keeps them.
 *
 * SQLite reports damage only when a query touches the damaged page ("database disk image is malformed"), so the
 * requests are read in time ranges; a range whose query fails is split in two until the failing part is a single
 * instant (whose requests are lost) or the query budget is spent.
 */
import type { Database } from 'sql.js';

import { errorMessage } from '../util/errorMessage';
import { forEachRequest } from './export';
import type { LedgerRecord } from './record';

/** True for the errors SQLite raises on a damaged database file or page. */
export function isCorruption(error: unknown): boolean {
  const message = errorMessage(error);
  return /database disk image is malformed|file is not a database|database corruption|SQLITE_CORRUPT|SQLITE_NOTADB/i.test(message);
}

/** Queries one salvage may run (each reads one time range); enough for a few hundred damaged pages. */
const MAX_QUERIES = 4_000;

function bounds(db: Database): { from: number; to: number } {
  try {
    const row = db.exec('SELECT min(started_at), max(started_at) FROM requests')[0]?.values[0];
    const min = Number(row?.[0]);
    const max = Number(row?.[1]);
    if (Number.isFinite(min) && Number.isFinite(max)) return { from: min, to: max + 1 };
  } catch {
    // The index or the table's first pages are damaged: search the whole range of plausible times.
  }
  return { from: 0, to: Date.now() + 366 * 86_400_000 };
}

/** Every request (with its attempts) of `db` that can still be read; never throws. */
export function salvageRecords(db: Database): LedgerRecord[] {
  const out: LedgerRecord[] = [];
  let queries = 0;
  const ranges: { from: number; to: number }[] = [bounds(db)];
  while (ranges.length > 0 && queries < MAX_QUERIES) {
    const { from, to } = ranges.pop()!;
    const found: LedgerRecord[] = [];
    queries += 1;
    try {
      forEachRequest(db, from, to, (record) => found.push(record));
      out.push(...found);
    } catch {
      if (to - from <= 1) continue;
      const mid = from + Math.floor((to - from) / 2);
      ranges.push({ from: mid, to }, { from, to: mid });
    }
  }
  return out;
}
