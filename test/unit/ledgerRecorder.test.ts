import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { feedbackRecord } from '../../src/core/ledger/feedback';
import { acquireLock, LockTimeoutError } from '../../src/core/ledger/lock';
import { recordDecisions } from '../../src/core/ledger/recorder';
import { HOLDS_LOCK, SharedBudgetHolds } from '../../src/core/ledger/reservations';
import { PendingSpend } from '../../src/core/ledger/spend';
import { LedgerStore } from '../../src/core/ledger/store';
import type { Decision } from '../../src/core/routing/decision';
import { fallbackCount } from '../../src/core/routing/decision';
import { SecretScrubber } from '../../src/core/util/secrets';
import { routeDecision } from '../support/ledgerFixtures';

const quiet = { compactIntervalMs: 0, refreshIntervalMs: 0 };
const KEY = 'sk-other-provider-key-123456';
const NOW = Date.parse('2026-11-23T12:00:00Z');

/** Two overloaded Anthropic keys, then OpenAI answers; the error text carries another provider's key. */
function decision(id: string, overrides: Partial<Decision> = {}): Decision {
  return routeDecision(id, {
    attempts: [
      { provider: 'anthropic', model: 'claude-sonnet-5-5', keyId: 'work', startedAt: NOW, latencyMs: 30, status: 'error', errorKind: 'overloaded', httpStatus: 529, partialOutput: false, costUsd: 0 },
      { provider: 'anthropic', model: 'claude-sonnet-5-5', keyId: 'home', startedAt: NOW + 40, latencyMs: 30, status: 'error', errorKind: 'overloaded', httpStatus: 529, partialOutput: false, costUsd: 0 },
      { provider: 'openai', model: 'gpt-6.2-sol', keyId: 'default', startedAt: NOW + 80, latencyMs: 800, status: 'ok', partialOutput: false, usage: { inputTokens: 100, outputTokens: 50, cacheReadTokens: 0, cacheWriteTokens: 0 }, costUsd: 0.25 },
    ],
    usage: { inputTokens: 100, outputTokens: 50, cacheReadTokens: 0, cacheWriteTokens: 0 },
    costUsd: 0.25,
    error: { kind: 'server', message: `the gateway said: bad key ${KEY}` },
    ...overrides,
  });
}

describe('recordDecisions: the one recorder of the extension and the CLI', () => {
  let dir: string;
  let store: LedgerStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ledger-recorder-'));
    store = await LedgerStore.open({ dir, ...quiet });
  });
  afterEach(async () => {
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  /** A spend source sharing holds in `dir` with one request's hold and finished attempt in it. */
  async function spendWithHold(id: string, lockTimeoutMs = 5_000): Promise<PendingSpend> {
    const spend = new PendingSpend({ db: () => store.db, holds: new SharedBudgetHolds(dir, { lockTimeoutMs }) });
    assert.equal(await spend.reserve(id, 0.5, NOW, async () => true), true);
    await spend.record(0.25, NOW, id);
    return spend;
  }

  it('writes the requests and the extra lines durably, scrubbed, then releases the holds', async () => {
    const spend = await spendWithHold('a');
    const picks = [feedbackRecord({ requestId: 'a', kind: 'compare-win', agent: 'explainer', task: 'explain', provider: 'openai', model: 'gpt-6.2-sol', comparison: 'c1' }, NOW)];
    const outcome = await recordDecisions([decision('a'), decision('b')], {
      store,
      spend,
      instruction: 'explain the locking',
      storeInstruction: true,
      secrets: new SecretScrubber([KEY]),
      extra: picks,
    });
    assert.equal(outcome.recorded, true);
    assert.ok(!('holdsError' in outcome));
    assert.deepEqual(outcome.records.map((r) => r.id), ['a', 'b', picks[0]!.id]);
    const first = outcome.records[0]!;
    assert.equal(first.instruction, 'explain the locking');
    assert.equal(first.fallbacks, 1, 'two keys of one model and then another model: one fallback');
    assert.ok(!JSON.stringify(outcome.records).includes(KEY), 'no key in what is stored');
    assert.equal(spend.pendingRequests, 0, 'the request now counts in the ledger, not as pending');
    assert.equal(typeof (await new SharedBudgetHolds(dir).read()).find((e) => e.id === 'a')?.recordedAt, 'number', 'its shared entry is marked recorded');
    await store.close();
    store = await LedgerStore.open({ dir, ...quiet });
    assert.equal(store.count(), 2, 'both requests are in the ledger after a reopen');
  });

  it('keeps the instruction out when the user did not allow storing it', async () => {
    const outcome = await recordDecisions([decision('a')], { store, instruction: 'secret plans', storeInstruction: false, secrets: new SecretScrubber() });
    assert.equal(outcome.recorded, true);
    assert.equal(outcome.records[0]!.instruction, null);
  });

  it('a write that fails is returned, not thrown, and the request stays pending so budgets still count it', async () => {
    const spend = await spendWithHold('a');
    await store.close();
    const outcome = await recordDecisions([decision('a')], { store, spend, storeInstruction: false, secrets: new SecretScrubber() });
    assert.equal(outcome.recorded, false);
    assert.match(outcome.recorded ? '' : String((outcome.error as Error).message), /closed/);
    assert.equal(spend.pendingRequests, 1);
    const shared = (await new SharedBudgetHolds(dir).read()).find((e) => e.id === 'a');
    assert.equal(shared?.spentUsd, 0.25, 'other processes still count what its attempt cost');
    assert.equal(shared.recordedAt, undefined, 'its shared entry is not marked recorded');
  });

  it('holds that cannot be released (their lock stays taken) are told apart from a failed write', async () => {
    const spend = await spendWithHold('a', 50);
    const lock = await acquireLock(join(dir, HOLDS_LOCK));
    try {
      const outcome = await recordDecisions([decision('a')], { store, spend, storeInstruction: false, secrets: new SecretScrubber() });
      assert.equal(outcome.recorded, true);
      assert.ok('holdsError' in outcome && outcome.holdsError instanceof LockTimeoutError, 'a typed lock timeout');
      assert.equal(store.count(), 1, 'the request is in the ledger all the same');
    } finally {
      await lock.release();
    }
  });
});

describe('fallbackCount', () => {
  it('counts the other models tried, not retries or other keys of one model', () => {
    assert.equal(fallbackCount(decision('a')), 1);
    assert.equal(fallbackCount(decision('a', { attempts: [] })), 0);
    assert.equal(fallbackCount(decision('a', { attempts: decision('a').attempts.slice(0, 2) })), 0);
  });
});
