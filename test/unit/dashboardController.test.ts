import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import type { DashboardData, DashboardDecisionPage, DashboardRange, DashboardRecommendation, DashboardVerified } from '../../src/core/ledger/dashboard';
import { dashboardSnapshot, dashboardVerified } from '../../src/core/ledger/dashboard';
import { insertRecords } from '../../src/core/ledger/write';
import { Emitter } from '../../src/core/util/emitter';
import type { DashboardChange, DashboardHost } from '../../src/vscode/dashboard/dashboardController';
import { DashboardController } from '../../src/vscode/dashboard/dashboardController';
import type { DashboardCommand, HostMessage } from '../../src/webview/protocol';
import { DASHBOARD_PROTOCOL_VERSION } from '../../src/webview/protocol';
import { dbWith, generateLedgerRecords, ledgerAttempt, ledgerRecord } from '../support/ledgerFixtures';
import { seededRandom } from '../support/seededRandom';

const READY = { type: 'ready', protocol: DASHBOARD_PROTOCOL_VERSION } as const;

interface FakeHost extends DashboardHost {
  readonly changes: Emitter<DashboardChange>;
  readonly calls: string[];
  recommendationList: DashboardRecommendation[];
  applyAnswer: boolean;
}

const NO_CASCADES: DashboardVerified = {
  requests: 0, keptFirst: 0, keptFirstPassed: 0, escalated: 0, bestFailing: 0, notChecked: 0, unanswered: 0,
  estimated: 0, costNano: 0, strongNano: 0, savedNano: 0,
};

function fakeHost(data: (range: DashboardRange) => DashboardData, verified: (range: DashboardRange) => DashboardVerified = () => NO_CASCADES): FakeHost {
  const changes = new Emitter<DashboardChange>();
  const calls: string[] = [];
  const host: FakeHost = {
    changes,
    calls,
    recommendationList: [],
    applyAnswer: true,
    onDidChange: changes.event,
    snapshot: async (range) => {
      calls.push(`snapshot ${range}`);
      return data(range);
    },
    decisions: async (before) => {
      calls.push(`decisions ${before.id}`);
      return { decisions: [], more: false } satisfies DashboardDecisionPage;
    },
    recommendations: async (range) => {
      calls.push(`recommendations ${range}`);
      return host.recommendationList;
    },
    verified: async (range) => {
      calls.push(`verified ${range}`);
      return verified(range);
    },
    exportCosts: async (format, range) => {
      calls.push(`export ${format} ${range}`);
      return true;
    },
    applyRecommendation: async (rec) => {
      calls.push(`apply ${rec.id}`);
      return host.applyAnswer;
    },
  };
  return host;
}

const quietLog = { trace(): void {}, debug(): void {}, info(): void {}, warn(): void {}, error(): void {} };

async function settle(ms = 20): Promise<void> {
  await sleep(ms);
}

describe('dashboard controller', () => {
  let data: DashboardData;
  before(async () => {
    const now = Date.parse('2026-03-20T12:00:00Z');
    const db = await dbWith([...generateLedgerRecords({ count: 200, from: now - 20 * 86_400_000, to: now, seed: 2 })]);
    data = dashboardSnapshot(db, { onExceed: 'warn', timeZone: 'UTC', dailyUsd: 5 }, { now, rangeDays: 30 });
  });

  function setup(overrides: Partial<ConstructorParameters<typeof DashboardController>[0]> = {}): {
    host: FakeHost;
    posted: HostMessage[];
    commands: DashboardCommand[];
    controller: DashboardController;
  } {
    const host = fakeHost((rangeDays) => ({ ...data, rangeDays }));
    const posted: HostMessage[] = [];
    const commands: DashboardCommand[] = [];
    const controller = new DashboardController({
      host,
      log: quietLog,
      post: (message) => {
        posted.push(JSON.parse(JSON.stringify(message)) as HostMessage);
        return true;
      },
      runCommand: (command) => {
        commands.push(command);
      },
      debounceMs: 5,
      ...overrides,
    });
    return { host, posted, commands, controller };
  }

  it('posts nothing before ready, then a snapshot, the verified-routing figures and the recommendations of the restored range', async () => {
    const { host, posted, controller } = setup();
    host.changes.fire('ledger');
    await settle();
    assert.equal(posted.length, 0);
    controller.receive({ ...READY, rangeDays: 7 });
    await settle();
    const shape = posted.map((m) => [m.type, 'state' in m ? m.state : undefined, 'rangeDays' in m ? m.rangeDays : undefined]);
    // The snapshot first; the two slower counts after it, in either order (each runs on its own).
    assert.deepEqual(shape[0], ['update', undefined, undefined]);
    assert.deepEqual(shape.filter(([type]) => type === 'recommendations'), [['recommendations', 'loading', 7], ['recommendations', 'ready', 7]]);
    assert.deepEqual(shape.filter(([type]) => type === 'verified'), [['verified', 'ready', 7]]);
    assert.equal(shape.length, 4);
    assert.equal((posted[0] as { data: DashboardData }).data.rangeDays, 7);
    assert.equal(controller.range, 7);
    controller.dispose();
  });

  it('updates live after a recorded request (debounced), and waits while hidden', async () => {
    let visible = true;
    const { host, posted, controller } = setup({ isVisible: () => visible, recommendationsIntervalMs: 60_000 });
    controller.receive(READY);
    await settle();
    posted.length = 0;
    host.changes.fire('ledger');
    host.changes.fire('ledger');
    host.changes.fire('ledger');
    await settle();
    assert.deepEqual(posted.map((m) => m.type), ['update'], 'one update for a burst; recommendations wait a minute, the verified count 10 s');
    visible = false;
    posted.length = 0;
    host.changes.fire('ledger');
    await settle();
    assert.equal(posted.length, 0);
    visible = true;
    controller.visibilityChanged(true);
    await settle();
    assert.deepEqual(posted.map((m) => m.type), ['update']);
    posted.length = 0;
    host.changes.fire('config');
    await settle();
    assert.deepEqual(posted.map((m) => m.type).sort(), ['recommendations', 'update', 'verified'], 'a settings change recomputes them at once');
    assert.equal(posted[0]!.type, 'update');
    controller.dispose();
    host.changes.fire('ledger');
    await settle();
    assert.equal(host.changes.listenerCount, 0);
  });

  it('answers export, load-more and apply by request id; applies only a recommendation it computed', async () => {
    const { host, posted, commands, controller } = setup();
    host.recommendationList = [{
      id: 'cheaper-tier:explainer:openai', kind: 'cheaper-tier', title: 't', detail: 'd', savingsUsd: 1.5, savedMs: 0,
      action: { type: 'reassign', agent: 'explainer', chain: ['openai', 'local'] }, changes: { explainer: ['openai', 'local'] },
    }];
    controller.receive(READY);
    await settle();
    posted.length = 0;
    controller.receive({ type: 'export', requestId: 4, format: 'json' });
    controller.receive({ type: 'loadDecisions', requestId: 5, before: { startedAt: 1, id: 'r1' } });
    controller.receive({ type: 'applyRecommendation', requestId: 6, id: 'cheaper-tier:reviewer:deepseek' });
    controller.receive({ type: 'runCommand', command: 'openSettings' });
    await settle();
    const answers = posted.filter((m): m is Extract<HostMessage, { requestId: number }> => m.type === 'reply' || m.type === 'decisions');
    assert.deepEqual(answers.sort((a, b) => a.requestId - b.requestId), [
      { type: 'reply', requestId: 4, ok: true },
      { type: 'decisions', requestId: 5, page: { decisions: [], more: false } },
      { type: 'reply', requestId: 6, ok: false, message: 'This recommendation no longer applies.' },
    ]);
    assert.deepEqual(commands, ['openSettings']);
    host.applyAnswer = false;
    controller.receive({ type: 'applyRecommendation', requestId: 7, id: 'cheaper-tier:explainer:openai' });
    await settle();
    assert.deepEqual(posted.at(-1), { type: 'reply', requestId: 7, ok: false, message: 'Not applied.' });
    host.applyAnswer = true;
    controller.receive({ type: 'applyRecommendation', requestId: 8, id: 'cheaper-tier:explainer:openai' });
    await settle();
    assert.ok(posted.some((m) => m.type === 'reply' && m.requestId === 8 && m.ok));
    assert.deepEqual(host.calls.filter((c) => c.startsWith('apply') || c.startsWith('export')), [
      'export json 30',
      'apply cheaper-tier:explainer:openai',
      'apply cheaper-tier:explainer:openai',
    ]);
    const recommendations = posted.filter((m) => m.type === 'recommendations' && m.state === 'ready');
    assert.ok(recommendations.length >= 1);
    assert.equal('action' in ((recommendations[0] as unknown as { items: object[] }).items[0] ?? {}), false, 'the webview never gets the action object');
    controller.dispose();
  });

  it('survives 1,000 malformed messages: ignores them all, then still answers a valid one', async () => {
    const warnings: string[] = [];
    const { host, posted, controller } = setup({ log: { ...quietLog, warn: (line: string) => warnings.push(line) } });
    controller.receive(READY);
    await settle();
    posted.length = 0;
    const calls = host.calls.length;
    const next = seededRandom(1000);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const junk = (): unknown => pick<() => unknown>([
      () => null, () => undefined, () => next(), () => 'ready', () => [READY], () => true, () => Symbol('x'),
      () => ({}), () => ({ type: null }), () => ({ type: pick(['setRange', 'export', 'loadDecisions']) }),
      () => ({ type: 'setRange', rangeDays: pick([0, -7, 7.5, '7', null, Number.POSITIVE_INFINITY, Number.NaN, [], {}]) }),
      () => ({ type: 'export', requestId: pick([-1, 0.5, 'a', null, 2 ** 60]), format: 'csv' }),
      () => ({ type: 'export', requestId: 1, format: pick(['CSV', 'xml', '', null, 1]) }),
      () => ({ type: 'applyRecommendation', requestId: 1, id: pick(['', 'x'.repeat(300), 42, null, {}]) }),
      () => ({ type: 'loadDecisions', requestId: 1, before: pick([null, 'r1', { startedAt: 'x', id: 'a' }, { id: 'a' }, []]) }),
      () => ({ type: 'runCommand', command: pick(['rm -rf /', 'workbench.action.reloadWindow', '', null]) }),
      () => ({ type: 'rendered', ms: pick([-1, Number.NaN, 'fast', null]) }),
      () => ({ ...READY, protocol: pick([0, 2, '1', null]) }),
      () => ({ type: 'refresh', extra: next() }),
      () => ({ type: String.fromCharCode(Math.floor(next() * 0xffff)).repeat(1 + Math.floor(next() * 5000)) }),
      () => ({ type: 'ready', protocol: 1, rangeDays: 30, __proto__: { polluted: true } }),
      () => JSON.parse('{"type":"refresh","__proto__":{"x":1}}') as unknown,
      () => new Date(),
      () => new Map([['type', 'refresh']]),
      () => Object.create(null) as unknown,
      () => new Proxy({ type: 'refresh' }, { get: () => { throw new Error('trap'); } }),
      () => { const o: Record<string, unknown> = { type: 'setRange' }; o['rangeDays'] = o; return o; },
    ])();
    let count = 0;
    for (let i = 0; i < 1000; i += 1) {
      assert.doesNotThrow(() => controller.receive(junk()));
      count += 1;
    }
    await settle();
    assert.equal(count, 1000);
    assert.equal(controller.rejectedMessages, 1000);
    assert.equal(host.calls.length, calls, 'no host call for any of them');
    assert.equal(posted.length, 0, 'nothing posted for any of them');
    assert.equal(warnings.length, 5, 'the first few are warnings, the rest debug lines');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    controller.receive({ type: 'export', requestId: 99, format: 'csv' });
    await settle();
    assert.deepEqual(posted, [{ type: 'reply', requestId: 99, ok: true }]);
    controller.dispose();
  });

  it('carries the verified-routing figures and each decision\'s verdict to the page as plain data', async () => {
    const now = Date.parse('2026-03-20T12:00:00Z');
    const failure = { kind: 'assert', name: '<script>alert(1)</script>', expected: 'True', got: 'False' };
    const db = await dbWith([
      ledgerRecord({ id: 'plain', startedAt: now - 120_000 }),
      ledgerRecord({
        id: 'checked', startedAt: now - 60_000, task: 'fix', tier: 'heavy', provider: 'openai', model: 'gpt-6.2-sol', costNano: 3_000_000,
        escalatedBy: 'verification', cascade: { kept: 'pass', steps: 2, startTier: 'light', strongEstimateNano: 8_000_000 },
        attempts: [
          ledgerAttempt({ seq: 0, startedAt: now - 60_000, provider: 'deepseek', model: 'deepseek-v4-flash', costNano: 1_000_000, verification: { verdict: 'fail', checks: 2, passed: 1, failed: 1, ms: 50, isolation: 'full', failures: [failure] } }),
          ledgerAttempt({ seq: 1, startedAt: now - 59_000, provider: 'openai', model: 'gpt-6.2-sol', costNano: 2_000_000, verification: { verdict: 'pass', checks: 2, passed: 2, failed: 0, ms: 50, isolation: 'full' } }),
        ],
      }),
    ]);
    const budget = { onExceed: 'warn', timeZone: 'UTC' } as const;
    const posted: HostMessage[] = [];
    const host = fakeHost((rangeDays) => dashboardSnapshot(db, budget, { now, rangeDays }), (rangeDays) => dashboardVerified(db, budget, { now, rangeDays }));
    const own = new DashboardController({
      host,
      log: quietLog,
      // What postMessage delivers is a structured clone: data only.
      post: (m) => posted.push(structuredClone(m)) > 0,
      runCommand: () => undefined,
      debounceMs: 5,
      verifiedIntervalMs: 40,
    });
    own.receive(READY);
    await settle();
    const update = posted.find((m): m is Extract<HostMessage, { type: 'update' }> => m.type === 'update')!;
    const verified = posted.find((m): m is Extract<HostMessage, { type: 'verified'; state: 'ready' }> => m.type === 'verified' && m.state === 'ready')!;
    assert.ok(posted.indexOf(update) < posted.indexOf(verified), 'after the snapshot: it never holds up the first paint');
    assert.equal(verified.rangeDays, 30);
    assert.deepEqual(verified.data, {
      requests: 1, keptFirst: 0, keptFirstPassed: 0, escalated: 1, bestFailing: 0, notChecked: 0, unanswered: 0, estimated: 1,
      costNano: 3_000_000, strongNano: 8_000_000, savedNano: 5_000_000,
    });
    const [checked, plain] = update.data.decisions.decisions;
    assert.deepEqual([checked!.id, checked!.escalatedBy, checked!.verdict, checked!.cascade], ['checked', 'verification', { verdict: 'pass', checks: 2, passed: 2, failed: 0 }, { kept: 'pass', steps: 2, startTier: 'light' }]);
    assert.deepEqual(checked!.attempts[0]!.verification!.failures, [failure]);
    assert.deepEqual([plain!.id, 'verdict' in plain!, 'cascade' in plain!], ['plain', false, false]);
    // Another cascade is recorded: the page gets the new count (after the interval), without asking.
    insertRecords(db, [ledgerRecord({ id: 'kept', startedAt: now - 1000, task: 'implement', costNano: 500, cascade: { kept: 'pass', steps: 1, startTier: 'light', strongEstimateNano: 1_500 } })]);
    posted.length = 0;
    host.changes.fire('ledger');
    await settle(120);
    const next = posted.filter((m): m is Extract<HostMessage, { type: 'verified'; state: 'ready' }> => m.type === 'verified' && m.state === 'ready');
    assert.deepEqual(next.map((m) => [m.data.requests, m.data.keptFirst, m.data.savedNano]), [[2, 1, 5_000_000 + 1_000]]);
    own.dispose();
  });

  it('says so in the page when the ledger cannot be read, and keeps going', async () => {
    const { host, posted, controller } = setup();
    let fail = true;
    const snapshot = host.snapshot.bind(host);
    host.snapshot = async (range) => {
      if (fail) throw new Error('database is locked');
      return snapshot(range);
    };
    controller.receive(READY);
    await settle();
    assert.deepEqual(posted[0], { type: 'error', message: 'Could not read the ledger: database is locked' });
    fail = false;
    controller.receive({ type: 'refresh' });
    await settle();
    assert.ok(posted.some((m) => m.type === 'update'));
    controller.dispose();
  });
});
