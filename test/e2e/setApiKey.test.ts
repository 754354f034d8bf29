/**
 * A person without any key (no demo mode: the placeholder keys in the environment are not used) and no local server
 * running opens the Model Router container and sees the welcome content ("No provider is usable yet", Set API Key),
 * stores a key through "Model Router: Set API Key"
 * (quick pick of the provider, then a password input box), and sees the provider turn "key set"; the key then
 * reaches the provider (Test Connection, offered by the "stored" notification). The key is never on screen.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import { E2ESession } from './harness';

describe('Model Router: Set API Key, from the command palette into the Providers tree', () => {
  let vs: E2ESession;
  const key = `sk-ant-e2e-${randomBytes(16).toString('hex')}`;

  before(async () => {
    // Nothing listens at the local server's address (a local server that is not running): with one that answers, the
    // tree would show it instead of the welcome content (localProviders.test.ts).
    vs = await E2ESession.start({ env: { MODEL_ROUTER_LOCAL_BASE_URL: 'http://127.0.0.1:9/v1' } });
    await vs.recordNotifications();
    await vs.forbidText(key);
  });

  after(async () => {
    await vs?.stop();
  });

  it('starts with the welcome content: no provider has a key (the environment\'s placeholder keys do not count) and no local server answers', async () => {
    const env = await vs.waitForExtensionHostEnv();
    assert.equal(env['MODEL_ROUTER_DEMO'], undefined, 'not in demo mode');
    assert.ok(env['ANTHROPIC_API_KEY'], 'a placeholder key is in the environment');
    await vs.openViewContainer('Model Router');
    await vs.setSidebarWidth(560);
    const welcome = vs.welcomeView('Providers');
    await welcome.waitFor({ state: 'visible' });
    assert.match(await welcome.innerText(), /No provider is usable yet: no API key, and no local server answered/);
    assert.equal(await vs.treeItems('Providers').then((items) => items.length), 0, 'the tree is empty while no key exists');
    await vs.screenshot('Providers view without any key: the welcome content');
  });

  it('the welcome content\'s "Set API Key" button starts the same flow as the palette', async () => {
    await vs.welcomeView('Providers').getByRole('button', { name: 'Set API Key' }).click();
    assert.equal(await vs.quickInputTitle(), 'Model Router: Set API Key');
    await vs.screenshot('Set API Key from the welcome button');
    await vs.page.keyboard.press('Escape');
  });

  it('stores a key through the palette: quick pick of the provider, then a password input box', async () => {
    await vs.runCommand('Model Router: Set API Key');
    assert.equal(await vs.quickInputTitle(), 'Model Router: Set API Key');
    const items = await vs.quickPickItems();
    assert.deepEqual(
      items.map((item) => item.label),
      ['Anthropic', 'OpenAI', 'Gemini', 'DeepSeek'],
      'the hosted providers (the local server takes no key)',
    );
    await vs.pickQuickItem('Anthropic', { screenshot: 'Set API Key asks which provider' });

    await vs.typeIntoInputBox(key, {
      title: 'Model Router: Anthropic API key',
      password: true,
      screenshot: 'the key typed into a password input box',
    });
    await vs.waitForNotification(/Model Router: Anthropic key stored\./);
    const anthropic = await vs.waitForTreeItem('Providers', 'Anthropic', /^key set · /);
    assert.equal(anthropic.description, 'key set · healthy (no requests yet)');
    // With one key the tree lists every provider again; the others still have none.
    for (const label of ['OpenAI', 'Gemini', 'DeepSeek']) {
      assert.match((await vs.waitForTreeItem('Providers', label)).description, /^key missing · /, `${label} still has no key`);
    }
    assert.match((await vs.waitForTreeItem('Providers', 'Local model')).description, /^no key needed · /);
    await vs.expandTreeItem('Providers', 'Anthropic');
    await vs.waitForTreeItem('Providers', 'key "default"', /^set$/);
    await vs.screenshot('Anthropic turned key set in the Providers tree');
  });

  it('sends the stored key to the provider: Test Connection from the "stored" notification', async () => {
    const fakes = vs.fakes!;
    const before = fakes.anthropic.requests.length;
    const stored = await vs.waitForNotification(/Model Router: Anthropic key stored\./);
    await vs.clickNotificationButton(stored, 'Test Connection');
    const answered = await vs.waitForNotification(/Model Router: Anthropic answered in /);
    assert.match(await answered.innerText(), /answered in [\d.]+ (ms|s) \(\d+ models\)/);
    await vs.screenshot('Test Connection answered with the stored key');
    const sent = fakes.anthropic.requests.slice(before);
    assert.ok(sent.length > 0, 'Test Connection reached the Anthropic fake');
    for (const request of sent) {
      // This SDK sends an API key as "Authorization: Bearer"; the fake reads the key wherever Anthropic accepts it.
      const presented = fakes.anthropic.protocol.presentedKey(request);
      assert.ok(presented === key, `${request.method} ${request.path} carries the typed key (headers: ${Object.keys(request.headers).join(', ')})`);
    }
    assert.deepEqual(await vs.forbiddenTextSightings(), [], 'the key never appeared in the page');
    assert.ok(vs.screenshotTextChecks >= 4, 'every screenshot was checked for the key');
  });
});
