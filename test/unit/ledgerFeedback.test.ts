import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import initSqlJs from 'sql.js';

import { DEFAULT_CONFIG } from '../../src/core/config/defaults';
import type { Config } from '../../src/core/config/types';
import { dashboardRecommendations, dashboardSnapshot, modelSpeeds } from '../../src/core/ledger/dashboard';
import type { FeedbackKind } from '../../src/core/ledger/feedback';
import { feedbackRecord, feedbackSummaries } from '../../src/core/ledger/feedback';
import { recommendations } from '../../src/core/ledger/recommendations';
import type { LedgerRecord } from '../../src/core/ledger/record';
import { migrate, MIGRATIONS } from '../../src/core/ledger/schema';
import { LedgerStore } from '../../src/core/ledger/store';
import { deleteRequestsBefore, insertRecords } from '../../src/core/ledger/write';
import { dbWith, generateLedgerRecords, ledgerAttempt, ledgerRecord } from '../support/ledgerFixtures';

const NOW = Date.parse('2026-03-20T15:00:00Z');
const HOUR = 3_600_000;

/** A refactor answered by `provider/model` at `at`, costing `costNano`. */
function answer(id: string, provider: string, model: string, at: number, costNano = 1_000_000): LedgerRecord {
  return ledgerRecord({ id, startedAt: at, finishedAt: at + 1000, agent: 'refactorer', task: 'refactor', command: 'modelRouter.refactor', provider, model, costNano });
}

function feedback(request: LedgerRecord, kind: FeedbackKind, at: number, comparison?: string): LedgerRecord {
  return feedbackRecord(
    { requestId: request.id, kind, agent: request.agent, task: request.task, provider: request.provider!, model: request.model!, ...(comparison ? { comparison } : {}) },
    at,
  );
}

const config: Config = {
  ...DEFAULT_CONFIG,
  budget: { ...DEFAULT_CONFIG.budget, timeZone: 'UTC' },
  agents: { ...DEFAULT_CONFIG.agents, refactorer: { ...DEFAULT_CONFIG.agents.refactorer, chain: ['openai', 'anthropic', 'gemini'] } },
};

describe('ledger: feedback (what the user did with an answer)', () => {
  it('becomes a feedback row, never a request; idempotent; summed per agent and model with the acceptance rate', async () => {
    const a = answer('a', 'openai', 'gpt-6.2-sol', NOW - 5 * HOUR);
    const b = answer('b', 'openai', 'gpt-6.2-sol', NOW - 4 * HOUR);
    const c = answer('c', 'anthropic', 'claude-sonnet-5-5', NOW - 3 * HOUR);
    const lines = [
      feedback(a, 'accepted', NOW - 5 * HOUR + 10),
      feedback(a, 'undone', NOW - 5 * HOUR + 20),
      feedback(b, 'rejected', NOW - 4 * HOUR + 10),
      feedback(c, 'accepted', NOW - 3 * HOUR + 10),
      feedback(a, 'compare-loss', NOW - 2 * HOUR, 'cmp-1'),
      feedback(c, 'compare-win', NOW - 2 * HOUR, 'cmp-1'),
    ];
    const db = await dbWith([a, b, c, ...lines]);
    assert.equal(insertRecords(db, lines), 0, 'a replayed feedback line is stored once');
    assert.equal(db.exec('SELECT COUNT(*) FROM requests')[0]!.values[0]![0], 3);
    assert.equal(db.exec('SELECT COUNT(*) FROM feedback')[0]!.values[0]![0], 6);
    const rows = feedbackSummaries(db, { from: NOW - 24 * HOUR, to: NOW });
    const openai = rows.find((r) => r.provider === 'openai')!;
    assert.deepEqual(
      [openai.accepted, openai.rejected, openai.undone, openai.judged, openai.acceptanceRate, openai.compareLosses, openai.judgedCostUsd],
      [1, 1, 1, 2, 0, 1, 0.002],
    );
    const anthropic = rows.find((r) => r.provider === 'anthropic')!;
    assert.deepEqual([anthropic.accepted, anthropic.acceptanceRate, anthropic.compareWins], [1, 1, 1]);
    // The dashboard shows the same rows.
    const snapshot = dashboardSnapshot(db, config.budget, { now: NOW, rangeDays: 7 });
    assert.deepEqual(snapshot.feedback, feedbackSummaries(db, { from: snapshot.from, to: snapshot.to }));
  });

  it('goes with retention like the requests', async () => {
    const a = answer('a', 'openai', 'gpt-6.2-sol', NOW - 10 * 24 * HOUR);
    const db = await dbWith([a, feedback(a, 'accepted', NOW - 10 * 24 * HOUR + 1), feedback(a, 'compare-win', NOW - HOUR)]);
    deleteRequestsBefore(db, NOW - 5 * 24 * HOUR);
    assert.deepEqual(db.exec('SELECT kind FROM feedback')[0]!.values, [['compare-win']]);
  });

  it('is journaled and merged like a request: another process sees it after a refresh', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-feedback-'));
    try {
      const quiet = { onNotice: (): void => undefined };
      const writer = await LedgerStore.open({ dir, ...quiet });
      const reader = await LedgerStore.open({ dir, ...quiet });
      const a = answer('a', 'openai', 'gpt-6.2-sol', NOW - HOUR);
      await writer.append(a);
      await writer.append(feedback(a, 'rejected', NOW - HOUR + 5));
      await reader.refresh();
      assert.equal(reader.read((db) => db.exec("SELECT kind FROM feedback WHERE request_id = 'a'")[0]?.values[0]?.[0]), 'rejected');
      assert.equal(reader.count(), 1, 'the feedback line is no request');
      await writer.close();
      await reader.close();
      const again = await LedgerStore.open({ dir, ...quiet });
      assert.equal(again.read((db) => db.exec('SELECT COUNT(*) FROM feedback')[0]!.values[0]![0]), 1, 'kept through compaction');
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('recommends moving a better-accepted provider first when the head\'s answers are mostly rejected, with the money spent on them', async () => {
    const records: LedgerRecord[] = [];
    for (let i = 0; i < 10; i++) {
      const head = answer(`o${i}`, 'openai', 'gpt-6.2-sol', NOW - (30 - i) * HOUR, 2_000_000);
      records.push(head, feedback(head, i < 6 ? 'rejected' : 'accepted', head.startedAt + 10));
      const other = answer(`a${i}`, 'anthropic', 'claude-sonnet-5-5', NOW - (20 - i) * HOUR);
      records.push(other, feedback(other, i < 9 ? 'accepted' : 'rejected', other.startedAt + 10));
    }
    const db = await dbWith(records);
    const found = recommendations(db, config, { from: NOW - 48 * HOUR, to: NOW }).filter((r) => r.kind === 'rejected-head');
    assert.equal(found.length, 1);
    const rec = found[0]!;
    assert.equal(rec.title, 'refactors from openai are rejected 60% of the time: move anthropic first');
    assert.ok(Math.abs(rec.savingsUsd - 0.012) < 1e-12, `six rejected answers at $0.002: ${rec.savingsUsd}`);
    assert.deepEqual(rec.action, { type: 'reassign', agent: 'refactorer', chain: ['anthropic', 'openai', 'gemini'] });
    // The dashboard lists it with an Apply that writes that chain.
    const listed = dashboardRecommendations(db, config, { now: NOW, rangeDays: 7 }).find((r) => r.kind === 'rejected-head');
    assert.deepEqual(listed?.changes, { refactorer: ['anthropic', 'openai', 'gemini'] });
    // Nine answers judged are too few.
    const fewer = await dbWith(records.filter((r) => r.id !== 'o9' && r.feedback?.requestId !== 'o9'));
    assert.deepEqual(recommendations(fewer, config, { from: NOW - 48 * HOUR, to: NOW }).filter((r) => r.kind === 'rejected-head'), []);
  });

  it('recommends a cheaper provider whose answers are accepted 90% of the time, with the difference per answer as the saving', async () => {
    const records: LedgerRecord[] = [];
    for (let i = 0; i < 10; i++) {
      const head = answer(`o${i}`, 'openai', 'gpt-6.2-sol', NOW - (30 - i) * HOUR, 3_000_000);
      records.push(head, feedback(head, 'accepted', head.startedAt + 10));
      const cheap = answer(`a${i}`, 'anthropic', 'claude-haiku-5-5', NOW - (20 - i) * HOUR, 1_000_000);
      records.push(cheap, feedback(cheap, i === 0 ? 'rejected' : 'accepted', cheap.startedAt + 10));
    }
    const db = await dbWith(records);
    const found = recommendations(db, config, { from: NOW - 48 * HOUR, to: NOW }).filter((r) => r.kind === 'accepted-cheaper');
    assert.equal(found.length, 1);
    assert.equal(found[0]!.title, "anthropic's refactors are accepted 90% of the time and cost less: move it first");
    assert.ok(Math.abs(found[0]!.savingsUsd - 0.02) < 1e-12, `($0.003 - $0.001) x 10: ${found[0]!.savingsUsd}`);
    assert.deepEqual(found[0]!.action, { type: 'reassign', agent: 'refactorer', chain: ['anthropic', 'openai', 'gemini'] });
  });

  it('reads tokens per second from the hourly rollup (schema 8) exactly as from the attempts, also after retention', async () => {
    const records = [...generateLedgerRecords({ count: 3000, from: NOW - 4 * 24 * HOUR, to: NOW, seed: 5 })];
    const current = await dbWith(records);
    const SQL = await initSqlJs();
    const older = new SQL.Database();
    migrate(older, MIGRATIONS.filter((m) => m.version <= 7));
    insertRecords(older, records);
    const compare = (label: string, from: number, to: number): void => {
      const fromRollup = modelSpeeds(current, from, to);
      const fromRows = modelSpeeds(older, from, to);
      assert.deepEqual([...fromRollup.keys()].sort(), [...fromRows.keys()].sort(), label);
      assert.ok(fromRollup.size > 0, label);
      for (const [key, speed] of fromRows) assert.ok(Math.abs(fromRollup.get(key)! - speed) <= speed * 1e-12, `${label}: ${key} ${fromRollup.get(key)} vs ${speed}`);
    };
    compare('ragged range', NOW - 3 * 24 * HOUR - 1_234_567, NOW - 7_654);
    const cutoff = NOW - 2 * 24 * HOUR - 1_800_000;
    deleteRequestsBefore(current, cutoff);
    deleteRequestsBefore(older, cutoff);
    compare('after retention', NOW - 3 * 24 * HOUR, NOW);
  });

  it('gives tokens per second per model from the generation time after the first token', async () => {
    const db = await dbWith([
      ledgerRecord({ id: 'x', startedAt: NOW - HOUR, attempts: [ledgerAttempt({ startedAt: NOW - HOUR, latencyMs: 2300, ttftMs: 300, outputTokens: 200 })] }),
      ledgerRecord({ id: 'y', startedAt: NOW - HOUR, attempts: [ledgerAttempt({ startedAt: NOW - HOUR, latencyMs: 1200, ttftMs: 200, outputTokens: 100 })] }),
      ledgerRecord({ id: 'z', startedAt: NOW - HOUR, attempts: [ledgerAttempt({ startedAt: NOW - HOUR, status: 'error', latencyMs: 50, outputTokens: 0 })] }),
    ]);
    // (200 + 100) tokens over (2.0 + 1.0) s.
    assert.equal(modelSpeeds(db, NOW - 2 * HOUR, NOW).get('anthropic/claude-sonnet-5-5'), 100);
    const snapshot = dashboardSnapshot(db, config.budget, { now: NOW, rangeDays: 7 });
    assert.equal(snapshot.models.find((m) => m.model === 'claude-sonnet-5-5')?.tokensPerSecond, 100);
  });
});
