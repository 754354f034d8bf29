import assert from 'node:assert/strict';

import { resolveConfig } from '../../src/core/config/layering';
import type { Config } from '../../src/core/config/types';
import type { Clock } from '../../src/core/routing/clock';
import { FakeClock } from '../../src/core/routing/clock';
import type { Decision, RouteEvent } from '../../src/core/routing/decision';
import type { ProbeOutcome } from '../../src/core/routing/endpointHealth';
import { EndpointHealth, isLoopbackUrl } from '../../src/core/routing/endpointHealth';
import type { RouteRequest } from '../../src/core/routing/router';
import { Router } from '../../src/core/routing/router';
import { createAnthropicFake } from '../fakes/anthropicFake';
import { createOpenAIFake } from '../fakes/openaiFake';

/** Resolves when `check` holds, polling every few ms; fails after `timeoutMs` (a bounded wait for background work). */
async function until(check: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('endpoint health: a refused local endpoint is down until it answers', () => {
  it('probes with a bounded doubling backoff while down, and comes back when a probe answers', async () => {
    const clock = new FakeClock(1_000_000);
    const outcomes: ProbeOutcome[] = [
      { up: false, reason: 'refused 1' },
      { up: false, reason: 'refused 2' },
      { up: false, reason: 'refused 3' },
      { up: true },
    ];
    const probedAt: number[] = [];
    const health = new EndpointHealth({
      clock,
      backoff: { initialMs: 1_000, maxMs: 5_000 },
      probe: async () => {
        probedAt.push(clock.now());
        return outcomes.shift() ?? { up: true };
      },
    });
    const changes: string[] = [];
    health.onDidChange((change) => changes.push(`${change.providerId}:${change.previous ?? 'unknown'}->${change.state.state}`));
    try {
      health.markDown('local', 'nothing is listening');
      const check = health.check('local');
      assert.equal(check.ok, false);
      assert.match(check.ok ? '' : check.reason, /^down: nothing is listening; probed again in 1 s$/);
      // Waits of 1, 2, 4 and then 5 s (the cap, not 8), each after the previous probe failed.
      for (const step of [1_000, 2_000, 4_000, 5_000]) await clock.advanceAsync(step);
      await until(() => health.snapshot('local')?.state === 'up', 'the fourth probe');
      assert.deepEqual(
        probedAt.map((t) => t - 1_000_000),
        [1_000, 3_000, 7_000, 12_000],
      );
      assert.equal(health.check('local').ok, true);
      assert.deepEqual(changes, ['local:unknown->down', 'local:down->up'], 'one change when it went down (not one per failed probe), one when it came back');
      await clock.advanceAsync(60_000);
      assert.equal(probedAt.length, 4, 'no probe once it is up');
    } finally {
      health.dispose();
    }
  });

  it('without a probe (a CLI run), a down endpoint may be tried again once the backoff has passed', () => {
    const clock = new FakeClock(0);
    const health = new EndpointHealth({ clock, backoff: { initialMs: 2_000, maxMs: 60_000 } });
    health.markDown('local', 'refused');
    assert.equal(health.check('local').ok, false);
    clock.advance(1_999);
    assert.equal(health.check('local').ok, false);
    clock.advance(1);
    assert.equal(health.check('local').ok, true);
    health.markDown('local', 'refused again');
    clock.advance(3_999);
    assert.equal(health.check('local').ok, false, 'the second refusal in a row doubles the wait');
    clock.advance(1);
    assert.equal(health.check('local').ok, true);
    health.dispose();
  });

  it('dispose stops the background probing', async () => {
    const clock = new FakeClock(0);
    let probes = 0;
    const health = new EndpointHealth({
      clock,
      probe: async () => {
        probes++;
        return { up: false, reason: 'refused' };
      },
    });
    health.markDown('local', 'refused');
    health.dispose();
    await clock.advanceAsync(600_000);
    assert.equal(probes, 0);
    assert.equal(clock.pendingSleeps, 0);
  });

  it('loopback URLs: localhost, 127.0.0.0/8 and ::1 are; a hosted API, a LAN address and no URL are not', () => {
    for (const url of ['http://localhost:11434/v1', 'http://127.0.0.1:1234/v1', 'http://127.8.9.10/', 'http://[::1]:8080/v1', 'http://ollama.localhost/v1']) {
      assert.equal(isLoopbackUrl(url), true, url);
    }
    for (const url of [undefined, '', 'https://api.openai.com/v1', 'http://192.168.1.5:11434/v1', 'http://localhost.example.com/v1', 'not a url']) {
      assert.equal(isLoopbackUrl(url), false, String(url));
    }
  });
});

describe('router: a local server that is not running', function () {
  this.timeout(15_000);
  const anthropic = createAnthropicFake();
  const local = createOpenAIFake();
  let clock: FakeClock;
  const routers: Router[] = [];

  before(async () => {
    await Promise.all([anthropic.start(), local.start()]);
  });
  after(() => Promise.all([anthropic.close(), local.close()]));
  beforeEach(async () => {
    anthropic.reset();
    local.reset();
    await local.listenAgain();
    clock = new FakeClock(Date.parse('2026-12-03T12:00:00Z'));
  });
  afterEach(() => {
    for (const r of routers.splice(0)) r.dispose();
  });

  function config(): Config {
    const text = `
localFirst: true
retry: { maxAttemptsPerCandidate: 3, baseDelayMs: 100, maxDelayMs: 1000, retryAfterCapMs: 60000 }
circuit: { consecutiveFailures: 2, failureRate: 0.9, minRequests: 50, windowMs: 60000, cooldownMs: 30000 }
providers:
  anthropic: { baseUrl: "${anthropic.baseURL}" }
  local: { baseUrl: "${local.baseURL}" }
agents:
  explainer: { chain: [anthropic, local], reasoning: test }
`;
    const { config: resolved, diagnostics } = resolveConfig({ user: { file: 'test.yaml', text }, workspaceTrusted: true });
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    return resolved;
  }

  function router(probeEndpoints = false, routerClock: Clock = clock): Router {
    const r = new Router(config(), {
      keys: { get: (provider) => (provider === 'anthropic' ? 'ant-key-0000000000000001' : undefined) },
      clock: routerClock,
      random: () => 0.5,
      probeEndpoints,
      endpointBackoff: { initialMs: 2_000, maxMs: 60_000 },
    });
    routers.push(r);
    return r;
  }

  async function run(r: Router, request: Partial<RouteRequest> = {}): Promise<{ text: string; events: RouteEvent[]; decision: Decision }> {
    const events: RouteEvent[] = [];
    let text = '';
    for await (const event of r.route({ task: 'explain', text: 'const x = 1;', ...request })) {
      events.push(event);
      if (event.type === 'text') text += event.text;
    }
    const done = events.at(-1);
    assert.ok(done && done.type === 'done');
    return { text, events, decision: done.decision };
  }

  it('connection refused: one attempt, no retry, the next candidate at once; then skipped without an attempt', async () => {
    await local.stopListening();
    const r = router();
    anthropic.enqueue({ text: 'from anthropic' }, { text: 'again from anthropic' });
    const first = await run(r);
    assert.equal(first.decision.tier, 'light');
    assert.equal(first.text, 'from anthropic');
    assert.deepEqual(first.decision.attempts.map((a) => `${a.provider}:${a.status}`), ['local:error', 'anthropic:ok'], 'local first (local-first), tried once');
    assert.equal(first.events.filter((e) => e.type === 'retry').length, 0, 'no retry of a refused local endpoint');
    assert.equal(clock.pendingSleeps, 0, 'no backoff sleep either');
    const fallback = first.events.find((e) => e.type === 'fallback');
    assert.ok(fallback && fallback.type === 'fallback');
    assert.match(fallback.reason, /nothing is listening at http:\/\/127\.0\.0\.1:\d+\/v1 \(connection refused\)\. Not retried \(local endpoint\)/);
    assert.equal(r.endpoints.snapshot('local')?.state, 'down');
    assert.equal(r.breakers.get('local').snapshot().state, 'healthy', 'a refusal is not counted by the circuit breaker');

    const second = await run(r);
    assert.equal(second.text, 'again from anthropic');
    assert.deepEqual(second.decision.attempts.map((a) => a.provider), ['anthropic'], 'no request to the down endpoint');
    const skipped = second.decision.candidates.find((c) => c.provider === 'local');
    assert.equal(skipped?.status, 'skipped');
    assert.equal(skipped?.skip, 'endpoint-down');
    assert.match(skipped?.reason ?? '', /^down: .*connection refused.*; tried again in 2 s$/);
  });

  it('a connection reset before any byte of a response is not retried either', async () => {
    local.enqueue({ reset: true });
    anthropic.enqueue({ text: 'from anthropic' });
    const r = router();
    const { decision, events } = await run(r);
    assert.equal(decision.chosen?.provider, 'anthropic');
    assert.equal(local.modelRequests.length, 1, 'the local server saw one request, not a retry');
    assert.equal(events.filter((e) => e.type === 'retry').length, 0);
    assert.equal(r.endpoints.snapshot('local')?.state, 'down');
  });

  it('a local server that answers 503 is still retried (only "nothing answered" skips the retry)', async () => {
    local.enqueue({ error: 'unavailable' }, { text: 'second try' });
    // Backoff sleeps end at once here (and move this clock): only the number of retries matters.
    let offset = 0;
    const r = router(false, { now: () => clock.now() + offset, sleep: async (ms) => void (offset += ms) });
    const { text, events } = await run(r);
    assert.equal(text, 'second try');
    assert.equal(events.filter((e) => e.type === 'retry').length, 1);
    assert.equal(r.endpoints.snapshot('local')?.state, 'up');
  });

  it('with background probes: skipped while down, probed at its models endpoint, and picked again once a probe succeeds', async () => {
    await local.stopListening();
    const r = router(true);
    anthropic.enqueue({ text: 'a1' }, { text: 'a2' });
    await run(r);
    assert.equal(r.endpoints.snapshot('local')?.state, 'down');

    // The backoff passes while the server is still down: the probe fails, the endpoint stays down (next probe in 4 s).
    await clock.advanceAsync(2_000);
    await until(() => (r.endpoints.snapshot('local')?.probes ?? 0) >= 1, 'the first probe');
    assert.equal(r.endpoints.snapshot('local')?.state, 'down');
    assert.equal(r.endpoints.snapshot('local')?.retryAt, clock.now() + 4_000);
    const skipped = await run(r);
    assert.deepEqual(skipped.decision.attempts.map((a) => a.provider), ['anthropic'], 'a down endpoint is skipped even after its backoff: only a probe brings it back');

    await local.listenAgain();
    local.enqueue({ text: 'from the local model' });
    await clock.advanceAsync(4_000);
    await until(() => r.endpoints.snapshot('local')?.state === 'up', 'the probe after the server came back');
    assert.deepEqual(local.requests.map((q) => q.endpoint), ['models'], 'the probe asked the models endpoint, nothing else');
    const back = await run(r);
    assert.equal(back.text, 'from the local model');
    assert.deepEqual(back.decision.attempts.map((a) => `${a.provider}:${a.status}`), ['local:ok']);
  });

  it('probeLocalEndpoints at start: a local server that is not running is skipped from the first request on', async () => {
    await local.stopListening();
    const r = router(true);
    await r.probeLocalEndpoints();
    assert.equal(r.endpoints.snapshot('local')?.state, 'down');
    anthropic.enqueue({ text: 'from anthropic' });
    const { decision } = await run(r);
    assert.deepEqual(decision.attempts.map((a) => a.provider), ['anthropic']);
  });

  it('probeLocalEndpoints at start: a running local server is up and local-first picks it', async () => {
    const r = router(true);
    await r.probeLocalEndpoints();
    assert.equal(r.endpoints.snapshot('local')?.state, 'up');
    local.enqueue({ text: 'local' });
    const { decision } = await run(r);
    assert.equal(decision.chosen?.provider, 'local');
  });

  it('probeLocalEndpoints at start: a loopback provider without the key it needs is not probed and not shown down (nothing would be sent)', async () => {
    const r = new Router(config(), { keys: { get: () => undefined }, clock, random: () => 0.5, probeEndpoints: true });
    routers.push(r);
    const before = anthropic.requests.length;
    await r.probeLocalEndpoints();
    assert.equal(r.endpoints.snapshot('anthropic'), undefined, 'no state for an endpoint nobody contacted');
    assert.equal(anthropic.requests.length, before, 'nothing was sent to it');
    assert.equal(r.endpoints.snapshot('local')?.state, 'up', 'the keyless local server is probed as before');
  });

  it('a new base URL for a down local provider (Ollama -> LM Studio) forgets the old state and probes the new address at once', async () => {
    await local.stopListening();
    const r = router(true);
    await r.probeLocalEndpoints();
    assert.equal(r.endpoints.snapshot('local')?.state, 'down');
    const other = createOpenAIFake();
    await other.start();
    try {
      const moved = config();
      r.setConfig({ ...moved, providers: { ...moved.providers, local: { ...moved.providers['local']!, baseUrl: other.baseURL } } });
      assert.equal(r.endpoints.snapshot('local')?.state, undefined, 'what was known about the old address is forgotten');
      await until(() => r.endpoints.snapshot('local')?.state === 'up', 'the probe of the new address');
      assert.deepEqual(other.requests.map((q) => q.endpoint), ['models']);
    } finally {
      await other.close();
    }
  });

  it('testConnection (status, Test All Providers) marks a refused local endpoint down and a reachable one up', async () => {
    const r = router(false);
    await local.stopListening();
    const refused = await r.testConnection('local', { timeoutMs: 2_000 });
    assert.equal(refused.result, 'failed');
    assert.equal(refused.refused, true);
    assert.equal(r.endpoints.snapshot('local')?.state, 'down');
    await local.listenAgain();
    const ok = await r.testConnection('local', { timeoutMs: 2_000 });
    assert.equal(ok.result, 'ok');
    assert.equal(r.endpoints.snapshot('local')?.state, 'up');
  });
});
