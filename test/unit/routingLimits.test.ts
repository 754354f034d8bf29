import assert from 'node:assert/strict';

import { resolveConfig } from '../../src/core/config/layering';
import { validateConfigValue } from '../../src/core/config/load';
import type { Clock } from '../../src/core/routing/clock';
import { FakeClock } from '../../src/core/routing/clock';
import type { Decision, RouteEvent } from '../../src/core/routing/decision';
import { KeyPool } from '../../src/core/routing/keyPool';
import { Router } from '../../src/core/routing/router';
import { createAnthropicFake } from '../fakes/anthropicFake';

/** Limits of a provider beyond its keys' (minIntervalMs), key order by tier tags (strictTiers). */

class JumpClock implements Clock {
  private offset = 0;
  readonly sleeps: number[] = [];
  now(): number {
    return Date.parse('2026-11-23T12:00:00Z') + this.offset;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.offset += ms;
  }
}

describe('routing: the provider minimum interval (minIntervalMs)', () => {
  it('spaces requests to the provider whichever key they use; each key alone would not wait', () => {
    const clock = new FakeClock(0);
    const pool = new KeyPool('gemini', [{ id: 'a' }, { id: 'b' }], { clock, minIntervalMs: 1_000 });
    const first = pool.acquire('light', 10);
    assert.ok(first.ok);
    const second = pool.pick('light', 10);
    assert.ok(!second.ok, 'the other key is free, but the provider is not');
    assert.equal(second.waitMs, 1_000);
    assert.match(second.message, /the provider's minimum interval between calls, usable in 1 s/);
    clock.advance(1_000);
    const third = pool.acquire('light', 10);
    assert.ok(third.ok);
    assert.equal(third.keyId, 'b', 'the least recently used key');
    pool.setMinInterval(undefined);
    assert.ok(pool.pick('light', 10).ok, 'without the interval nothing waits');
  });

  it('is read from the user YAML, validated by the schema, and ignored from a workspace', () => {
    const user = { file: 'user.yaml', text: 'providers:\n  gemini: { minIntervalMs: 4000 }\n' };
    assert.equal(resolveConfig({ user, workspaceTrusted: true }).config.providers['gemini']!.minIntervalMs, 4_000);
    const problems = validateConfigValue('user.yaml', { providers: { gemini: { minIntervalMs: -1 } } });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /minIntervalMs/);
    const workspace = { file: '.model-router.yaml', text: 'providers:\n  gemini: { minIntervalMs: 60000 }\n' };
    const resolved = resolveConfig({ user, workspace, workspaceTrusted: true });
    assert.equal(resolved.config.providers['gemini']!.minIntervalMs, 4_000, 'the user\'s interval stays');
    assert.ok(resolved.diagnostics.some((d) => /minIntervalMs/.test(d.message) && /workspace config may not set it/.test(d.message)));
    const settings = resolveConfig({ user, workspaceTrusted: true, settings: { providers: { gemini: { minIntervalMs: 250 } } } });
    assert.equal(settings.config.providers['gemini']!.minIntervalMs, 250, 'the user setting wins over the YAML');
  });
});

describe('router: minIntervalMs and key order against the fake', function () {
  this.timeout(10_000);
  const anthropic = createAnthropicFake();
  before(() => anthropic.start());
  after(() => anthropic.close());
  beforeEach(() => anthropic.reset());

  async function run(router: Router): Promise<{ decision: Decision; events: RouteEvent[] }> {
    const events: RouteEvent[] = [];
    let decision: Decision | undefined;
    for await (const event of router.route({ task: 'explain', text: 'const a = 1;' })) {
      events.push(event);
      if (event.type === 'done') decision = event.decision;
    }
    return { decision: decision!, events };
  }

  function router(yaml: string, clock: Clock): Router {
    const text = `
localFirst: false
maxWaitMs: 5000
providers:
  anthropic: { baseUrl: "${anthropic.baseURL}"${yaml} }
agents:
  explainer: { chain: [anthropic], reasoning: test }
`;
    const { config } = resolveConfig({ user: { file: 't.yaml', text }, workspaceTrusted: true });
    return new Router(config, { keys: { get: (_p, k) => `sk-ant-test-${k}-0000000000000000` }, clock });
  }

  it('the second request to the provider waits out its interval although another key is free', async () => {
    const clock = new JumpClock();
    const r = router(', minIntervalMs: 3000, keys: [{ id: one }, { id: two }]', clock);
    anthropic.enqueue({ text: 'a' }, { text: 'b' });
    const first = await run(r);
    const second = await run(r);
    assert.equal(first.decision.outcome, 'answered');
    assert.equal(second.decision.outcome, 'answered');
    const wait = second.events.find((e) => e.type === 'wait');
    assert.ok(wait && wait.type === 'wait');
    assert.ok(wait.delayMs > 2_900 && wait.delayMs <= 3_000, `waited ${wait.delayMs} ms`);
    assert.deepEqual(second.decision.attempts.map((a) => a.keyId), ['two']);
    assert.equal(anthropic.modelRequests.length, 2);
  });

  it('tier keys first, then the provider\'s other keys, then the next candidate, then "all keys exhausted, retry after N s"', async () => {
    const clock = new JumpClock();
    const keys = ', keys: [{ id: heavy-only, tiers: [heavy], limits: { rpd: 1 } }, { id: light-only, tiers: [light], limits: { rpd: 1 } }]';
    const r = router(keys, clock);
    anthropic.enqueue({ text: 'a' }, { text: 'b' });
    const first = await run(r);
    const second = await run(r);
    assert.deepEqual([first.decision.attempts.map((a) => a.keyId), second.decision.attempts.map((a) => a.keyId)], [['light-only'], ['heavy-only']]);
    const third = await run(r);
    assert.equal(third.decision.error?.kind, 'exhausted');
    assert.match(third.decision.error?.message ?? '', /All keys exhausted: every candidate is rate limited; retry after \d+(?:\.\d)? (?:ms|s|min|h)(?: \d+ (?:s|min))?\. anthropic\/[^:]+: no usable key/);
    assert.match(third.decision.error?.message ?? '', /daily quota used up/);
    assert.equal(anthropic.modelRequests.length, 2);

    const strict = router(`, strictTiers: true${keys}`, new JumpClock());
    anthropic.enqueue({ text: 'c' });
    assert.equal((await run(strict)).decision.attempts[0]?.keyId, 'light-only');
    const refused = await run(strict);
    assert.equal(refused.decision.outcome, 'failed');
    assert.match(refused.decision.error?.message ?? '', /heavy-only: serves heavy only/);
    assert.equal(anthropic.modelRequests.length, 3, 'strictTiers: the heavy key never took light work');
  });
});
