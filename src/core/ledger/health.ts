/**
 * Provider health as the ledger saw it, for the Providers tree: over the last hour, how many attempts went to each
 * provider, how many failed, and the median latency of the successful ones; and when it last answered at all. Every
 * window and CLI run appends to the same ledger, so these figures cover them all.
 */
import type { Database } from 'sql.js';

import { HOUR_MS, percentileOfSorted, ROLLUPS } from './rollups';
import { schemaVersion } from './schema';
import { forEachRow } from './sqlite';

export interface ProviderHealthStats {
  readonly provider: string;
  /** Attempts in the window (first tries, retries and fallbacks; cancelled ones left out). */
  readonly attempts: number;
  readonly failures: number;
  /** failures / attempts, 0..1; undefined without attempts. */
  readonly errorRate: number | undefined;
  /** Median latency of the successful attempts in the window (ms, nearest rank); undefined without any. */
  readonly p50LatencyMs: number | undefined;
  /** When an attempt last succeeded, whenever that was (epoch ms); undefined if never. */
  readonly lastSuccessAt: number | undefined;
}

/**
 * Health per provider from the ledger's `attempts`: the last `windowMs` (default an hour) up to `now`, plus the last
 * success at any time. The last success is found through the `attempt_hourly` rollup (the latest hour with a success,
 * then that hour's attempts), so it costs the same on a ledger of a year as on one of a day.
 */
export function providerHealth(db: Database, now: number, windowMs: number = HOUR_MS): Map<string, ProviderHealthStats> {
  const from = now - windowMs;
  const totals = new Map<string, { attempts: number; failures: number }>();
  forEachRow(
    db,
    `SELECT provider, COUNT(*), TOTAL(status <> 'ok') FROM attempts
     WHERE started_at > ? AND started_at <= ? AND (error_kind IS NULL OR error_kind <> 'aborted')
     GROUP BY provider`,
    [from, now],
    (row) => totals.set(String(row[0]), { attempts: Number(row[1]), failures: Number(row[2]) }),
  );
  const latencies = new Map<string, number[]>();
  forEachRow(
    db,
    `SELECT provider, latency_ms FROM attempts WHERE started_at > ? AND started_at <= ? AND status = 'ok' ORDER BY provider, latency_ms`,
    [from, now],
    (row) => {
      const provider = String(row[0]);
      let list = latencies.get(provider);
      if (!list) latencies.set(provider, (list = []));
      list.push(Number(row[1]));
    },
  );
  const lastSuccess = new Map<string, number>();
  if (schemaVersion(db) >= ROLLUPS.attempt_hourly.since) {
    const hours: [string, number][] = [];
    forEachRow(db, `SELECT provider, MAX(hour) FROM attempt_hourly WHERE ok > 0 GROUP BY provider`, [], (row) => {
      hours.push([String(row[0]), Number(row[1])]);
    });
    for (const [provider, hour] of hours) {
      let at = hour * HOUR_MS;
      forEachRow(
        db,
        `SELECT MAX(started_at) FROM attempts WHERE started_at >= ? AND started_at < ? AND provider = ? AND status = 'ok'`,
        [hour * HOUR_MS, (hour + 1) * HOUR_MS, provider],
        (row) => {
          if (row[0] !== null) at = Number(row[0]);
        },
      );
      lastSuccess.set(provider, at);
    }
  } else {
    forEachRow(db, `SELECT provider, MAX(started_at) FROM attempts WHERE status = 'ok' GROUP BY provider`, [], (row) => {
      lastSuccess.set(String(row[0]), Number(row[1]));
    });
  }
  const out = new Map<string, ProviderHealthStats>();
  for (const provider of new Set([...totals.keys(), ...lastSuccess.keys()])) {
    const total = totals.get(provider) ?? { attempts: 0, failures: 0 };
    const sorted = latencies.get(provider) ?? [];
    out.set(provider, {
      provider,
      attempts: total.attempts,
      failures: total.failures,
      errorRate: total.attempts > 0 ? total.failures / total.attempts : undefined,
      p50LatencyMs: sorted.length > 0 ? percentileOfSorted(sorted, 50) : undefined,
      lastSuccessAt: lastSuccess.get(provider),
    });
  }
  return out;
}
