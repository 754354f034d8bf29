import assert from 'node:assert/strict';

import { resolveConfig } from '../../src/core/config/layering';
import { validateConfigValue } from '../../src/core/config/load';
import { ProviderError } from '../../src/core/providers/errors';
import { createProvider } from '../../src/core/providers/registry';
import type { ChatRequest, SafetyLevel } from '../../src/core/providers/types';
import type { Decision } from '../../src/core/routing/decision';
import type { RouteRequest } from '../../src/core/routing/router';
import { Router } from '../../src/core/routing/router';
import { createAnthropicFake } from '../fakes/anthropicFake';
import { createGeminiFake } from '../fakes/geminiFake';

/**
 * Gemini's safety settings through the official SDK against the fake, which blocks like the API (its threshold per
 * harm category from the request's safetySettings, default BLOCK_MEDIUM_AND_ABOVE) on the real wire format.
 */

const KEY = 'AIzaTESTSECRET-gemini-safety-000000000000';
const FOUR = ['HARM_CATEGORY_HARASSMENT', 'HARM_CATEGORY_HATE_SPEECH', 'HARM_CATEGORY_SEXUALLY_EXPLICIT', 'HARM_CATEGORY_DANGEROUS_CONTENT'];

function sentSafety(body: unknown): unknown {
  return (body as { safetySettings?: unknown }).safetySettings;
}

describe('gemini safety settings (SDK against the fake)', function () {
  this.timeout(10_000);
  const gemini = createGeminiFake({ expectedKey: KEY });
  const provider = (): ReturnType<typeof createProvider> => createProvider({ id: 'gemini', protocol: 'gemini', apiKey: KEY, baseUrl: gemini.baseURL });
  before(() => gemini.start());
  after(() => gemini.close());
  beforeEach(() => gemini.reset());

  const request = (safety?: SafetyLevel): ChatRequest => ({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'Explain: os.kill(pid, signal.SIGKILL)' }],
    ...(safety ? { safety } : {}),
  });

  async function failure(req: ChatRequest, transport: 'json' | 'stream'): Promise<ProviderError> {
    try {
      if (transport === 'json') await provider().complete(req, { transport: 'json' });
      else for await (const chunk of provider().stream(req)) void chunk;
    } catch (error) {
      assert.ok(ProviderError.is(error));
      return error;
    }
    assert.fail('the request should have been blocked');
  }

  for (const transport of ['json', 'stream'] as const) {
    it(`block_none sends BLOCK_NONE for the four categories and a MEDIUM-rated answer comes through (${transport})`, async () => {
      gemini.enqueue({ text: 'It kills the process.', harm: { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH' } });
      const result = await provider().complete(request('block_none'), { transport });
      assert.equal(result.text, 'It kills the process.');
      assert.deepEqual(sentSafety(gemini.modelRequests[0]!.body), FOUR.map((category) => ({ category, threshold: 'BLOCK_NONE' })));
    });

    it(`block_only_high sends BLOCK_ONLY_HIGH: MEDIUM passes, HIGH is blocked (${transport})`, async () => {
      gemini.enqueue({ text: 'fine', harm: { category: 'HARM_CATEGORY_HARASSMENT', probability: 'MEDIUM' } });
      assert.equal((await provider().complete(request('block_only_high'), { transport })).text, 'fine');
      assert.deepEqual(sentSafety(gemini.modelRequests[0]!.body), FOUR.map((category) => ({ category, threshold: 'BLOCK_ONLY_HIGH' })));
      gemini.enqueue({ text: 'never shown', harm: { category: 'HARM_CATEGORY_HARASSMENT', probability: 'HIGH' } });
      const error = await failure(request('block_only_high'), transport);
      assert.equal(error.kind, 'safety_block');
      assert.equal(error.retryable, false);
      assert.match(error.message, /the answer was blocked by Gemini's safety filter \(SAFETY; harassment: HIGH\)/);
    });

    it(`default sends no safetySettings; the API's default threshold blocks the answer (finishReason SAFETY) or the prompt (blockReason) (${transport})`, async () => {
      gemini.enqueue({ text: 'x', harm: { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'MEDIUM' } });
      const answer = await failure(request('default'), transport);
      assert.deepEqual(sentSafety(gemini.modelRequests[0]!.body), [], 'the SDK sends an empty list: the API\'s thresholds');
      assert.equal(answer.kind, 'safety_block');
      assert.match(answer.message, /the answer was blocked by Gemini's safety filter \(SAFETY; dangerous content: MEDIUM\)/);
      assert.match(answer.message, /safety: block_none/, 'says how to turn it off');
      assert.ok(!answer.message.includes(KEY));
      gemini.enqueue({ harm: { category: 'HARM_CATEGORY_HATE_SPEECH', probability: 'HIGH', in: 'prompt' } });
      const prompt = await failure(request(), transport);
      assert.equal(prompt.kind, 'safety_block');
      assert.match(prompt.message, /the prompt was blocked by Gemini's safety filter \(SAFETY; hate speech: HIGH\)/);
    });
  }

  it('the fake rejects an unknown threshold like the API (400 INVALID_ARGUMENT)', async () => {
    const response = await fetch(`${gemini.baseURL}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': KEY },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }], safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_SOME' }] }),
    });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /safety_settings\[0\]\.threshold/);
  });

  it('safety is a schema-checked provider field of the user file, not of a workspace', () => {
    assert.equal(validateConfigValue('u.yaml', { providers: { gemini: { safety: 'block_none' } } }).length, 0);
    assert.equal(validateConfigValue('u.yaml', { providers: { gemini: { safety: 'off' } } }).length, 1);
    const user = { file: 'u.yaml', text: 'providers:\n  gemini: { safety: block_only_high }\n' };
    const workspace = { file: '.model-router.yaml', text: 'providers:\n  gemini: { safety: default }\n' };
    const resolved = resolveConfig({ user, workspace, workspaceTrusted: true });
    assert.equal(resolved.config.providers['gemini']!.safety, 'block_only_high');
    assert.ok(resolved.diagnostics.some((d) => /safety/.test(d.message) && /workspace config may not set it/.test(d.message)));
  });
});

describe('router: Gemini safety on code tasks, and a blocked answer falls back', function () {
  this.timeout(10_000);
  const gemini = createGeminiFake();
  const anthropic = createAnthropicFake();
  before(() => Promise.all([gemini.start(), anthropic.start()]));
  after(() => Promise.all([gemini.close(), anthropic.close()]));
  beforeEach(() => {
    gemini.reset();
    anthropic.reset();
  });

  function router(extra = ''): Router {
    const text = `
localFirst: false
retry: { maxAttemptsPerCandidate: 2, baseDelayMs: 1, maxDelayMs: 2 }
providers:
  gemini: { baseUrl: "${gemini.baseURL}"${extra} }
  anthropic: { baseUrl: "${anthropic.baseURL}" }
agents:
  explainer: { chain: [gemini, anthropic], reasoning: test }
  architect: { chain: [gemini, anthropic], reasoning: test }
`;
    const { config } = resolveConfig({ user: { file: 't.yaml', text }, workspaceTrusted: true });
    return new Router(config, { keys: { get: (p) => `${p}-test-key-000000000000000000` } });
  }

  async function run(r: Router, request: RouteRequest): Promise<Decision> {
    for await (const event of r.route(request)) if (event.type === 'done') return event.decision;
    assert.fail('no decision');
  }

  it('sends BLOCK_NONE on a code task by default, and nothing on a free question without a selection', async () => {
    const r = router();
    await run(r, { task: 'explain', text: 'os.kill(pid, 9)' });
    assert.deepEqual(sentSafety(gemini.modelRequests[0]!.body), FOUR.map((category) => ({ category, threshold: 'BLOCK_NONE' })));
    await run(r, { task: 'ask', text: '', instruction: 'What is a monad?' });
    assert.deepEqual(sentSafety(gemini.modelRequests[1]!.body), []);
    await run(r, { task: 'ask', text: 'int main() {}', instruction: 'Is this valid C?' });
    assert.deepEqual(sentSafety(gemini.modelRequests[2]!.body), FOUR.map((category) => ({ category, threshold: 'BLOCK_NONE' })), 'a question about a selection is about code');
  });

  it('safety: default -> the blocked answer is reported, recorded as safety_block, not retried, and the next candidate answers', async () => {
    const r = router(', safety: default');
    gemini.enqueue({ harm: { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'MEDIUM' } });
    anthropic.enqueue({ text: 'from claude' });
    const decision = await run(r, { task: 'explain', text: 'os.kill(pid, 9)' });
    assert.equal(decision.outcome, 'answered');
    assert.deepEqual(decision.chosen, { provider: 'anthropic', model: decision.chosen!.model });
    assert.equal(gemini.modelRequests.length, 1, 'a safety block is not retried');
    const blocked = decision.attempts[0]!;
    assert.equal(blocked.provider, 'gemini');
    assert.equal(blocked.errorKind, 'safety_block');
    assert.match(blocked.message ?? '', /blocked by Gemini's safety filter/);
    assert.equal(r.breakers.get('gemini').snapshot().state, 'healthy', 'a block says nothing about the provider\'s health');
  });
});
