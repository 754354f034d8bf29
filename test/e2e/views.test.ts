/**
 * The Model Router activity-bar container: a person opens it and reads the Providers and Agents trees, then makes a
 * different provider the explainer's primary in the Settings UI, sees the Agents tree follow at once, and the next
 * Explain go to the new primary.
 *
 * Demo mode (MODEL_ROUTER_DEMO=1): the simulated providers' placeholder keys come from the environment, so every
 * hosted provider shows "key set" without a key stored (the key-missing state is setApiKey.test.ts).
 */
import * as assert from 'node:assert/strict';

import { contributes } from '../../package.json';
import { FAKE_KEYS } from '../fakes/fakeProviders';
import { INVOICE_PATH, INVOICE_PY, INVOICE_TOTAL_LINES } from './fixtures';
import { E2ESession, escapeRegExp, squash, type TreeItemText } from './harness';

const AGENTS = ['implementer', 'refactorer', 'tester', 'reviewer', 'explainer', 'documenter', 'fixer', 'architect'];
const EXPLAINER_KEY = 'modelRouter.agents.explainer';

/** The manifest's default chain of an agent (what the Settings UI shows before any change). */
function defaultChain(agent: string): string[] {
  const section = contributes.configuration.find((s) => `modelRouter.agents.${agent}` in s.properties);
  const setting = section?.properties[`modelRouter.agents.${agent}` as keyof typeof section.properties] as { default?: string[] } | undefined;
  if (!setting?.default) throw new Error(`no default chain for ${agent} in package.json`);
  return setting.default;
}

function roots(items: TreeItemText[]): TreeItemText[] {
  return items.filter((item) => item.level === 1);
}

/** The children shown under the expanded root `label`. */
function childrenOf(items: TreeItemText[], label: string): TreeItemText[] {
  const start = items.findIndex((item) => item.level === 1 && item.label === label);
  const out: TreeItemText[] = [];
  for (const item of items.slice(start + 1)) {
    if (item.level === 1) break;
    out.push(item);
  }
  return out;
}

describe('Model Router views: Providers and Agents trees, and reassigning an agent in the Settings UI', () => {
  let vs: E2ESession;

  before(async () => {
    vs = await E2ESession.start({ env: { MODEL_ROUTER_DEMO: '1' }, workspaceFiles: { [INVOICE_PATH]: INVOICE_PY } });
    await vs.recordNotifications();
  });

  after(async () => {
    await vs?.stop();
  });

  it('opens the Model Router container: Providers lists each provider with its key and health', async () => {
    await vs.openViewContainer('Model Router');
    await vs.waitForTreeItem('Providers', 'Local model');
    await vs.setSidebarWidth(560);
    await vs.expandTreeItem('Providers', 'Anthropic');
    await vs.expandTreeItem('Providers', 'Models');
    await vs.waitForTreeItem('Providers', /^heavy: /);
    const providers = await vs.treeItems('Providers');
    assert.deepEqual(
      roots(providers).map(({ label, description }) => ({ label, description })),
      [
        { label: 'Anthropic', description: 'key set · healthy (no requests yet)' },
        { label: 'OpenAI', description: 'key set · healthy (no requests yet)' },
        { label: 'Gemini', description: 'key set · healthy (no requests yet)' },
        { label: 'DeepSeek', description: 'key set · healthy (no requests yet)' },
        { label: 'Local model', description: 'no key needed · healthy (no requests yet)' },
      ],
    );
    const anthropic = childrenOf(providers, 'Anthropic');
    assert.deepEqual(
      anthropic.map(({ label, description, level }) => ({ label, description, level })),
      [
        { label: 'Models', description: anthropic[0]!.description, level: 2 },
        ...['light', 'medium', 'heavy'].map((tier, i) => ({
          label: `${tier}: ${anthropic[0]!.description.split(' / ')[i]}`,
          description: '',
          level: 3,
        })),
        { label: 'key "default"', description: 'set', level: 2 },
      ],
    );
    assert.match(anthropic[0]!.description, /^claude-\S+ \/ claude-\S+ \/ claude-\S+$/);
  });

  it('Agents lists every agent with its chain, and the chain of one agent role by role', async () => {
    await vs.expandTreeItem('Agents', 'explainer');
    await vs.waitForTreeItem('Agents', /^fallback: /);
    const agents = await vs.treeItems('Agents');
    assert.deepEqual(
      roots(agents).map(({ label, description }) => ({ label, description })),
      AGENTS.map((agent) => ({ label: agent, description: defaultChain(agent).join(' → ') })),
    );
    assert.deepEqual(
      childrenOf(agents, 'explainer').map((item) => item.label),
      ['primary: Local model', 'secondary: Gemini', 'tertiary: OpenAI', 'fallback: Anthropic'],
    );
    await vs.screenshot('Model Router container: Providers and Agents trees');
  });

  it('makes DeepSeek the explainer primary in the Settings UI, and the Agents tree follows', async () => {
    // The explainer's own "Open in Settings" (its context menu in the Agents tree) opens the Settings UI on its key.
    await vs.treeItemContextAction('Agents', 'explainer', 'Open in Settings');
    await vs.settingsResults();
    await vs.settingRow(EXPLAINER_KEY).waitFor();
    assert.deepEqual(await vs.settingListValues(EXPLAINER_KEY), defaultChain('explainer'));
    await vs.screenshot('Settings UI shows the explainer chain');

    const offered = await vs.editSettingListItem(EXPLAINER_KEY, 0, 'deepseek', { screenshot: 'Settings UI dropdown for the explainer primary' });
    assert.ok(offered.includes('deepseek'), `the dropdown offers deepseek: ${JSON.stringify(offered)}`);
    assert.deepEqual(await vs.settingListValues(EXPLAINER_KEY), ['deepseek', 'gemini', 'openai', 'anthropic']);

    const explainer = await vs.waitForTreeItem('Agents', 'explainer', /^deepseek → gemini → openai → anthropic$/);
    assert.equal(explainer.expanded, true);
    await vs.waitForTreeItem('Agents', 'primary: DeepSeek', /^deepseek-\S+ \/ deepseek-\S+ \/ deepseek-\S+$/);
    assert.deepEqual(
      childrenOf(await vs.treeItems('Agents'), 'explainer').map((item) => item.label),
      ['primary: DeepSeek', 'secondary: Gemini', 'tertiary: OpenAI', 'fallback: Anthropic'],
    );
    // The other agents keep their chains.
    const others = roots(await vs.treeItems('Agents')).filter((item) => item.label !== 'explainer');
    assert.deepEqual(
      others.map((item) => item.description),
      AGENTS.filter((agent) => agent !== 'explainer').map((agent) => defaultChain(agent).join(' → ')),
    );
    assert.deepEqual(vs.readUserSettings()[EXPLAINER_KEY], ['deepseek', 'gemini', 'openai', 'anthropic'], 'written to the user settings.json');
    await vs.screenshot('Agents tree shows DeepSeek as the explainer primary');
  });

  it('routes the next Explain to the new primary (DeepSeek, with the demo key on the wire)', async () => {
    const fakes = vs.fakes!;
    await vs.openFile(INVOICE_PATH);
    await vs.selectLines(...INVOICE_TOTAL_LINES);
    fakes.openai.enqueue({ text: 'Explained by the simulated DeepSeek.' });
    await vs.runCommand('Model Router: Explain');
    const title = 'Explain — invoice.py:11-19.md';
    await vs.waitForEditorText(title, /tokens\s+·/, 30_000);
    // The Providers tree follows the request: DeepSeek has been used (no longer "no requests yet") and spent money.
    const deepseek = await vs.waitForTreeItem('Providers', 'DeepSeek', /^key set · healthy · /);
    await vs.screenshot('Explain answered by DeepSeek after the reassignment');

    const requests = fakes.openai.modelRequests;
    assert.equal(requests.length, 1, 'one request, to the OpenAI-compatible fake that stands in for DeepSeek');
    assert.match(requests[0]!.model ?? '', /^deepseek-/);
    assert.equal(requests[0]!.headers['authorization'], `Bearer ${FAKE_KEYS.openai}`, 'the demo key from the environment');
    assert.equal(fakes.anthropic.modelRequests.length + fakes.gemini.modelRequests.length, 0);
    const plan = await vs.waitForNotificationHistory(/^Model Router: Explain: deepseek\//);
    assert.match(plan, new RegExp(`^Model Router: Explain: deepseek/${requests[0]!.model} · complexity \\d+/10 · light tier`));
    assert.match(squash(await vs.editorText(title)), /Explained by the simulated DeepSeek\./);
    const footer = /\*deepseek\/\S+ · [\d,]+ → [\d,]+ tokens · (\S+) · /.exec(squash(await vs.editorText(title)));
    assert.ok(footer, 'the answer ends with the footer');
    // The last hour's figures from the ledger (one successful attempt: 0% errors, its latency as p50), then the spend.
    assert.match(
      deepseek.description,
      new RegExp(`^key set · healthy · 0% errors · p50 [\\d.]+ (ms|s) · ${escapeRegExp(footer[1]!)} today$`),
      "today's spend in the tree is the request's cost",
    );
    // The providers that were only considered have still had no request.
    for (const label of ['Anthropic', 'OpenAI', 'Gemini']) {
      assert.match((await vs.waitForTreeItem('Providers', label)).description, /^key set · healthy \(no recent requests\)$/, label);
    }
    assert.match(await vs.page.locator('.part.statusbar').innerText(), new RegExp(`${footer[1]!.replace(/[$.]/g, '\\$&')} · deepseek-`), 'the status bar shows the spend and the model');
  });
});
