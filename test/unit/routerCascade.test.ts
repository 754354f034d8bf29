import assert from 'node:assert/strict';

import { createCliVerifier } from '../../src/cli/verifier';
import { resolveConfig } from '../../src/core/config/layering';
import type { Config } from '../../src/core/config/types';
import { InMemorySpend } from '../../src/core/routing/budget';
import type { Clock } from '../../src/core/routing/clock';
import type { Decision, RouteEvent } from '../../src/core/routing/decision';
import type { CascadeVerification, RouteRequest } from '../../src/core/routing/router';
import { Router } from '../../src/core/routing/router';
import type { Verifier } from '../../src/core/verify/verifier';
import { createOpenAIFake } from '../fakes/openaiFake';

/**
 * Verify-then-escalate in the router, against a wire-faithful OpenAI fake through the official SDK and the REAL
 * checks (python3 in the sandbox): the cheap answer's code is run on the examples the request carries.
 */
class JumpClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.parse('2026-12-03T12:00:00Z') + this.offset;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new Error('aborted');
    this.offset += ms;
  }
}

const SELECTION = [
  'def add(a, b):',
  '    """Adds two numbers.',
  '',
  '    >>> add(2, 3)',
  '    5',
  '    >>> add(-1, 1)',
  '    0',
  '    """',
  '',
].join('\n');

const fence = (code: string): string => `Here is the implementation:\n\n\`\`\`python\n${code}\n\`\`\`\n`;
const WRONG = fence('def add(a, b):\n    return a * b');
const ALSO_WRONG = fence('def add(a, b):\n    return a - b');
const RIGHT = fence('def add(a, b):\n    return a + b');

describe('router: verify-then-escalate (cascade) against the fakes and the real checks', function () {
  this.timeout(30_000);
  const openai = createOpenAIFake();
  let verifier: Verifier;
  let clock: JumpClock;

  before(async () => {
    await openai.start();
    verifier = await createCliVerifier({});
  });
  after(() => openai.close());
  beforeEach(() => {
    openai.reset();
    clock = new JumpClock();
  });

  function config(extra = '', attempts = 1): Config {
    const text = `
localFirst: false
retry: { maxAttemptsPerCandidate: ${attempts}, baseDelayMs: 10, maxDelayMs: 10, retryAfterCapMs: 1000 }
providers:
  openai:
    baseUrl: "${openai.baseURL}"
    models: { light: cheap-1, medium: mid-1, heavy: strong-1 }
pricing:
  openai/cheap-1: { input: 0.1, output: 0.4 }
  openai/mid-1: { input: 1, output: 4 }
  openai/strong-1: { input: 10, output: 40 }
agents:
  implementer: { chain: [openai], reasoning: test }
${extra}`;
    const { config: resolved, diagnostics } = resolveConfig({ user: { file: 'test.yaml', text }, workspaceTrusted: true });
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    return resolved;
  }

  function router(cfg: Config = config(), options: { mayRun?: boolean; spend?: InMemorySpend } = {}): Router {
    const verification: CascadeVerification = { verifier, mayRun: () => options.mayRun ?? true };
    return new Router(cfg, {
      keys: { get: () => 'oai-key-0000000000000001' },
      clock,
      random: () => 0.5,
      spend: options.spend ?? new InMemorySpend(),
      verification,
    });
  }

  async function run(r: Router, request: Partial<RouteRequest> = {}): Promise<{ text: string; events: RouteEvent[]; decision: Decision }> {
    const events: RouteEvent[] = [];
    let text = '';
    for await (const event of r.route({ task: 'implement', language: 'python', text: SELECTION, ...request })) {
      events.push(event);
      if (event.type === 'text') text += event.text;
    }
    const done = events.at(-1);
    assert.ok(done && done.type === 'done');
    return { text, events, decision: done.decision };
  }

  const models = (): (string | undefined)[] => openai.modelRequests.map((r) => r.model);

  it('keeps the cheap answer when its code passes the examples: one call, on the cheapest tier', async () => {
    openai.enqueue({ text: RIGHT });
    const { text, decision, events } = await run(router());
    assert.equal(text, RIGHT);
    assert.deepEqual(models(), ['cheap-1']);
    assert.equal(decision.outcome, 'answered');
    assert.equal(decision.tier, 'light');
    assert.deepEqual(decision.cascade && { planned: decision.cascade.planned, steps: decision.cascade.steps, kept: decision.cascade.kept }, { planned: 2, steps: 1, kept: 'pass' });
    assert.equal(decision.escalatedBy, undefined);
    const verdict = decision.attempts[0]!.verification!;
    assert.deepEqual([verdict.verdict, verdict.checks, verdict.passed], ['pass', 2, 2]);
    const described = events.find((e) => e.type === 'verdict');
    assert.ok(described && described.type === 'verdict');
    assert.equal(described.description, 'checked: 2/2 examples pass');
    assert.ok(decision.cascade!.strongEstimateUsd! > decision.costUsd, 'the strongest tier would have cost more');
  });

  it('escalates a cheap answer that fails an example, tells the stronger model what failed, and shows only the passing answer', async () => {
    openai.enqueue({ text: WRONG }, { text: RIGHT });
    const { text, decision, events } = await run(router());
    assert.equal(text, RIGHT, 'the failing answer is never shown');
    assert.deepEqual(models(), ['cheap-1', 'mid-1']);
    assert.equal(decision.escalatedBy, 'verification');
    assert.equal(decision.tier, 'medium');
    assert.deepEqual(decision.chosen, { provider: 'openai', model: 'mid-1' });
    assert.deepEqual(decision.attempts.map((a) => a.verification?.verdict), ['fail', 'pass']);
    const failure = decision.attempts[0]!.verification!.failures[0]!;
    assert.match(`${failure.name} ${failure.expected} ${failure.got}`, /add\(2, 3\).*5.*6/);
    const escalate = events.find((e) => e.type === 'escalate');
    assert.ok(escalate && escalate.type === 'escalate' && escalate.from === 'light' && escalate.to === 'medium');
    const prompt = JSON.stringify(openai.modelRequests[1]!.body);
    assert.match(prompt, /failed/, 'the stronger model is told about the failure');
    assert.match(prompt, /add\(2, 3\)/);
    assert.equal(decision.cascade!.kept, 'pass');
    assert.equal(decision.costUsd, decision.attempts.reduce((sum, a) => sum + a.costUsd, 0), 'both calls are paid for');
  });

  it('shows the answer that passed the most checks, with its failures, when the strongest answer fails too', async () => {
    // a - b and a * b pass neither example; the medium answer passes add(2, 3) only.
    const passesFirst = fence('def add(a, b):\n    return 5 if (a, b) == (2, 3) else 99');
    openai.enqueue({ text: ALSO_WRONG }, { text: passesFirst }, { text: WRONG });
    const { text, decision } = await run(router());
    assert.deepEqual(models(), ['cheap-1', 'mid-1', 'strong-1']);
    assert.equal(decision.outcome, 'answered');
    assert.equal(decision.cascade!.kept, 'best-failing');
    assert.equal(text, passesFirst, 'the answer with 1 of 2 examples passing');
    assert.deepEqual(decision.chosen, { provider: 'openai', model: 'mid-1' });
    assert.deepEqual(decision.attempts.map((a) => a.verification?.passed), [0, 1, 0]);
  });

  it('shows the failing cheap answer with its failures when the budget blocks the escalation', async () => {
    const cfg = config('budget: { daily: 0.001, onExceed: block }');
    const spend = new InMemorySpend();
    openai.enqueue({ text: WRONG, usage: { input: 10, output: 10 } });
    const { text, decision } = await run(router(cfg, { spend }));
    assert.equal(text, WRONG, 'the cheap answer is shown, never silently dropped');
    assert.deepEqual(models(), ['cheap-1'], 'nothing was sent to the stronger tier');
    assert.equal(decision.outcome, 'answered');
    assert.equal(decision.cascade!.kept, 'best-failing');
    assert.match(decision.cascade!.blocked ?? '', /budget/i);
  });

  it('routes by complexity when the request carries nothing to check, or checks may not run', async () => {
    openai.enqueue({ text: RIGHT }, { text: RIGHT });
    const plain = await run(router(), { text: 'def add(a, b):\n    """Adds two numbers."""\n' });
    assert.equal(plain.decision.cascade, undefined);
    const refused = await run(router(config(), { mayRun: false }));
    assert.equal(refused.decision.cascade, undefined);
    assert.ok(refused.decision.attempts.every((a) => a.verification === undefined), 'nothing ran');
  });

  it('falls back to the next candidate when the cheap stream breaks mid-answer: nothing was shown yet', async () => {
    // The first stream breaks after a chunk; the retry on the same candidate answers in full.
    openai.enqueue({ chunks: ['```python\ndef add(a, b):\n', '    return a'], midStreamError: { afterChunks: 1 } }, { text: RIGHT });
    const { text, decision, events } = await run(router(config('', 2)));
    assert.equal(text, RIGHT, `only the complete, checked answer is shown: ${JSON.stringify({ attempts: decision.attempts, error: decision.error, outcome: decision.outcome })}`);
    assert.equal(decision.outcome, 'answered');
    assert.ok(events.some((e) => e.type === 'retry'), 'the broken stream was retried, not ended as interrupted');
    assert.equal(decision.attempts[0]!.partialOutput, false);
    assert.equal(decision.attempts.at(-1)!.verification?.verdict, 'pass');
  });
});
