import assert from 'node:assert/strict';

import { providerHealth } from '../../src/core/ledger/health';
import { deleteRequestsBefore } from '../../src/core/ledger/write';
import { dbWith, ledgerAttempt, ledgerRecord } from '../support/ledgerFixtures';

const at = (iso: string): number => Date.parse(iso);
const NOW = at('2026-12-03T15:00:00Z');
const MIN = 60_000;

describe('ledger: provider health over the last hour', () => {
  it('error rate and p50 latency of the last hour per provider, cancelled attempts left out; last success at any time', async () => {
    const db = await dbWith([
      // Local: a refused attempt, then the fallback; two answers, one older than the hour.
      ledgerRecord({
        id: 'fallback',
        startedAt: NOW - 10 * MIN,
        provider: 'anthropic',
        model: 'claude-haiku-5-5',
        attempts: [
          ledgerAttempt({ seq: 0, startedAt: NOW - 10 * MIN, provider: 'local', model: 'qwen', status: 'error', errorKind: 'network', latencyMs: 2, costNano: 0 }),
          ledgerAttempt({ seq: 1, startedAt: NOW - 10 * MIN + 5, provider: 'anthropic', model: 'claude-haiku-5-5', latencyMs: 900 }),
        ],
      }),
      ledgerRecord({ id: 'local-ok', startedAt: NOW - 30 * MIN, provider: 'local', model: 'qwen', latencyMs: 400 }),
      ledgerRecord({ id: 'local-old', startedAt: NOW - 3 * 60 * MIN, provider: 'local', model: 'qwen', latencyMs: 50 }),
      ledgerRecord({ id: 'a2', startedAt: NOW - 20 * MIN, provider: 'anthropic', model: 'claude-sonnet-5-5', latencyMs: 1_500 }),
      ledgerRecord({ id: 'a3', startedAt: NOW - 50 * MIN, provider: 'anthropic', model: 'claude-haiku-5-5', latencyMs: 300 }),
      // Cancelled by the user: neither a failure nor a success of the provider.
      ledgerRecord({
        id: 'cancelled',
        startedAt: NOW - 5 * MIN,
        provider: 'anthropic',
        model: 'claude-haiku-5-5',
        outcome: 'aborted',
        attempts: [ledgerAttempt({ seq: 0, startedAt: NOW - 5 * MIN, provider: 'anthropic', model: 'claude-haiku-5-5', status: 'error', errorKind: 'aborted', latencyMs: 10 })],
      }),
      // Gemini: only failures, and only two hours ago; a success a day ago.
      ledgerRecord({ id: 'g-old-ok', startedAt: NOW - 24 * 60 * MIN - 7, provider: 'gemini', model: 'gemini-3-flash', latencyMs: 700 }),
      ledgerRecord({
        id: 'g-fail',
        startedAt: NOW - 2 * 60 * MIN,
        provider: 'gemini',
        model: 'gemini-3-flash',
        outcome: 'failed',
        attempts: [ledgerAttempt({ seq: 0, startedAt: NOW - 2 * 60 * MIN, provider: 'gemini', model: 'gemini-3-flash', status: 'error', errorKind: 'server', httpStatus: 500 })],
      }),
      // After now: not in the window.
      ledgerRecord({ id: 'future', startedAt: NOW + MIN, provider: 'local', model: 'qwen', latencyMs: 1 }),
    ]);
    const health = providerHealth(db, NOW);
    assert.deepEqual(health.get('local'), {
      provider: 'local',
      attempts: 2,
      failures: 1,
      errorRate: 0.5,
      p50LatencyMs: 400,
      lastSuccessAt: NOW + MIN,
    });
    assert.deepEqual(health.get('anthropic'), {
      provider: 'anthropic',
      attempts: 3,
      failures: 0,
      errorRate: 0,
      // 300, 900, 1500: the median of the three successful attempts.
      p50LatencyMs: 900,
      lastSuccessAt: NOW - 10 * MIN + 5,
    });
    assert.deepEqual(health.get('gemini'), {
      provider: 'gemini',
      attempts: 0,
      failures: 0,
      errorRate: undefined,
      p50LatencyMs: undefined,
      lastSuccessAt: NOW - 24 * 60 * MIN - 7,
    });
    assert.equal(health.get('openai'), undefined, 'a provider the ledger never saw has no figures');
  });

  it('the last success survives retention deleting older requests only while its attempt is kept', async () => {
    const db = await dbWith([
      ledgerRecord({ id: 'old', startedAt: NOW - 100 * 60 * MIN, provider: 'local', model: 'qwen' }),
      ledgerRecord({ id: 'newer', startedAt: NOW - 10 * 60 * MIN, provider: 'local', model: 'qwen' }),
    ]);
    assert.equal(providerHealth(db, NOW).get('local')?.lastSuccessAt, NOW - 10 * 60 * MIN);
    deleteRequestsBefore(db, NOW - 50 * 60 * MIN);
    assert.equal(providerHealth(db, NOW).get('local')?.lastSuccessAt, NOW - 10 * 60 * MIN);
    deleteRequestsBefore(db, NOW - 60 * MIN);
    assert.equal(providerHealth(db, NOW).get('local'), undefined, 'nothing left: no figures rather than a stale time');
  });
});
