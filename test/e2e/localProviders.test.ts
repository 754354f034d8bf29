/**
 * A person with only a local server (Ollama, LM Studio: here the SIMULATED OpenAI-compatible server on loopback) and
 * no hosted key opens the Model Router container and sees the Providers tree with the local model in it, not the
 * welcome content. "Test All Providers" (palette and the Providers view title) tests every provider at once and shows
 * each result in the tree. A local server that stops leaves nothing usable (the welcome content again); it comes back
 * by itself once it listens again (the background probe), without a request paying for it.
 *
 * Not demo mode: the placeholder keys in the environment are not used, so no hosted provider has a key.
 */
import * as assert from 'node:assert/strict';

import { E2ESession } from './harness';

describe('Model Router: a local server only, and Test All Providers', () => {
  let vs: E2ESession;

  before(async () => {
    vs = await E2ESession.start();
    await vs.recordNotifications();
  });

  after(async () => {
    await vs?.stop();
  });

  it('shows the Providers tree with the local model (no welcome content) when only a local server answers', async () => {
    const env = await vs.waitForExtensionHostEnv();
    assert.equal(env['MODEL_ROUTER_DEMO'], undefined, 'not in demo mode: no hosted key is usable');
    assert.equal(env['MODEL_ROUTER_LOCAL_BASE_URL'], vs.fakes!.openai.baseURL, 'the local server is the simulated one');
    await vs.openViewContainer('Model Router');
    await vs.setSidebarWidth(560);
    const local = await vs.waitForTreeItem('Providers', 'Local model', /^no key needed · /);
    assert.equal(local.description, 'no key needed · healthy (no requests yet)');
    for (const label of ['Anthropic', 'OpenAI', 'Gemini', 'DeepSeek']) {
      assert.match((await vs.waitForTreeItem('Providers', label)).description, /^key missing · /, `${label} has no key`);
    }
    assert.equal(await vs.welcomeView('Providers').isVisible(), false, 'no welcome content while a provider is usable');
    // The start-up probe asked the local server for its models; no model request was sent.
    assert.ok(vs.fakes!.openai.requests.some((r) => r.endpoint === 'models'), 'the local server was probed at its models endpoint');
    assert.equal(vs.fakes!.openai.modelRequests.length, 0);
    await vs.screenshot('Providers tree with only a local server');
  });

  it('Test All Providers from the palette: the local server answers, the hosted providers are not tested (no key)', async () => {
    await vs.runCommand('Model Router: Test All Providers');
    await vs.waitForNotification(/Model Router: 1 of 1 tested providers answered \(4 not tested: disabled or no key\)\. Details in the Providers view\./);
    await vs.waitForTreeItem('Providers', 'Local model', /^no key needed · healthy \(no requests yet\) · test ok in [\d.]+ (ms|s)$/);
    assert.match((await vs.waitForTreeItem('Providers', 'Anthropic')).description, /^key missing · .* · not tested$/);
    await vs.screenshot('Test All Providers: results in the Providers tree');
    await vs.clearNotifications();
  });

  it('a local server that stops: Test All Providers (view title button) finds it down, and with nothing usable the welcome content returns; the background probe brings the tree back once it listens again', async () => {
    const fake = vs.fakes!.openai;
    await fake.stopListening();
    try {
      const header = vs.viewPane('Providers').locator('.pane-header');
      await header.hover();
      await header.locator('.actions a.action-label[aria-label^="Test All Providers"]').click();
      await vs.waitForNotification(/Model Router: 0 of 1 tested providers answered; failed: Local model/);
      // No key and the only keyless provider down: nothing at all is usable, so the view shows its welcome content.
      const welcome = vs.welcomeView('Providers');
      await welcome.waitFor({ state: 'visible' });
      assert.match(await welcome.innerText(), /No provider is usable yet: no API key, and no local server answered/);
      assert.equal((await vs.treeItems('Providers')).length, 0);
      await vs.screenshot('The local server is down: the welcome content');
      await vs.clearNotifications();
    } finally {
      await fake.listenAgain();
    }
    const before = fake.requests.length;
    // The background probe (2 s after the refusal, then backing off) finds it again: no request, no click.
    const local = await vs.waitForTreeItem('Providers', 'Local model', /^no key needed · healthy/, 30_000);
    assert.equal(local.description, 'no key needed · healthy (no requests yet)', 'the failed test is older than the probe that found the server: not shown');
    const since = fake.requests.slice(before);
    assert.ok(since.some((r) => r.endpoint === 'models'), 'the probe asked the models endpoint');
    assert.equal(since.filter((r) => r.endpoint === 'model').length, 0, 'no model request paid for finding it again');
    assert.equal(await vs.welcomeView('Providers').isVisible(), false);
    await vs.screenshot('The local server is back after the background probe');
  });
});
