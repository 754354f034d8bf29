/**
 * Every command of the extension. Handlers are thin: they ask what is missing (quick picks, input boxes) and call the
 * container's services. Tree items pass their node as the first argument; the palette passes nothing.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import * as vscode from 'vscode';

import type { AgentId, Config, PresetName, ProviderConfig, TaskType, Tier } from '../core/config/types';
import { AGENT_IDS, PRESETS, TASK_TYPES, TIERS } from '../core/config/types';
import { BUILTIN_PROVIDER_IDS } from '../core/providers/types';
import { formatMs } from '../core/util/format';
import { notificationText } from '../core/util/markdown';
import { writeAgentChains } from './agentChains';
import { CommandId } from './commandIds';
import type { Container } from './container';
import { loadEngine } from './engine';
import { KEY_ID_PATTERN, keyValueProblem } from './keys';
import { rebalance } from './rebalance';
import { TASK_TITLES } from './run/runner';
import { agentChainSettingKey, SETTINGS_SECTION } from './settings';
import { chainRole } from './tree';

export { CommandId };

/** Test Connection waits this long for a provider. */
export const TEST_CONNECTION_TIMEOUT_MS = 15_000;

/** What tree items hand to commands. */

function providerIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'object' && arg !== null && 'provider' in arg) return (arg as { provider?: ProviderConfig }).provider?.id;
  return undefined;
}

export function registerCommands(container: Container): vscode.Disposable[] {
  const { runner, log } = container;
  const run = (task: TaskType) => () => runner.run(task);
  return [
    register(CommandId.explain, run('explain')),
    register(CommandId.refactor, run('refactor')),
    register(CommandId.writeTests, run('tests')),
    register(CommandId.review, run('review')),
    register(CommandId.document, run('document')),
    register(CommandId.fix, run('fix')),
    register(CommandId.implement, run('implement')),
    register(CommandId.ask, run('ask')),
    register(CommandId.sendToModel, (task?: unknown) => sendToModel(container, typeof task === 'string' && (TASK_TYPES as readonly string[]).includes(task) ? (task as TaskType) : undefined)),
    register(CommandId.retryStronger, () => runner.retryStronger()),
    register(CommandId.compareModels, (task?: unknown, withModel?: unknown) =>
      runner.compare({
        ...(typeof task === 'string' && (TASK_TYPES as readonly string[]).includes(task) ? { task: task as TaskType } : {}),
        ...(typeof withModel === 'string' ? { with: withModel } : {}),
      }),
    ),
    register(CommandId.testConnection, (arg?: unknown) => testConnection(container, providerIdOf(arg))),
    register(CommandId.testAllProviders, () => testAllProviders(container)),
    register(CommandId.resetHealth, (arg?: unknown) => resetHealth(container, providerIdOf(arg))),
    register(CommandId.setApiKey, (arg?: unknown) => setApiKey(container, providerIdOf(arg), keyIdOf(arg))),
    register(CommandId.removeApiKey, (arg?: unknown) => removeApiKey(container, providerIdOf(arg), keyIdOf(arg))),
    register(CommandId.importKeysFromEnv, () => importKeys(container)),
    register(CommandId.reassignAgent, (arg?: unknown) => reassignAgent(container, agentIdOf(arg))),
    register(CommandId.applyPreset, (preset?: unknown) => applyPresetCommand(container, typeof preset === 'string' ? (preset as PresetName) : undefined)),
    register(CommandId.rebalance, () => rebalance(container)),
    register(CommandId.openAgentSettings, (arg?: unknown) =>
      vscode.commands.executeCommand('workbench.action.openSettings', `${SETTINGS_SECTION}.${agentChainSettingKey(agentIdOf(arg) ?? 'implementer')}`),
    ),
    register(CommandId.showLog, () => log.show()),
    register(CommandId.openDashboard, () => container.openDashboard()),
    register(CommandId.refreshTree, () => container.refreshViews()),
  ];
}

function register(id: CommandId, handler: (...args: never[]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, handler as (...args: unknown[]) => unknown);
}

function keyIdOf(arg: unknown): string | undefined {
  return typeof arg === 'object' && arg !== null && 'keyId' in arg ? (arg as { keyId?: string }).keyId : undefined;
}

function agentIdOf(arg: unknown): AgentId | undefined {
  if (typeof arg === 'string' && (AGENT_IDS as readonly string[]).includes(arg)) return arg as AgentId;
  if (typeof arg === 'object' && arg !== null && 'agent' in arg) return (arg as { agent?: { id: AgentId } }).agent?.id;
  return undefined;
}

async function pickProvider(config: Config, title: string, filter: (p: ProviderConfig) => boolean, describe?: (p: ProviderConfig) => Promise<string>): Promise<ProviderConfig | undefined> {
  const providers = Object.values(config.providers).filter(filter);
  if (providers.length === 0) {
    void vscode.window.showInformationMessage(`Model Router: no provider to choose for "${title}".`);
    return undefined;
  }
  const items = await Promise.all(
    providers.map(async (provider) => ({ label: provider.label, description: provider.id, detail: describe ? await describe(provider) : undefined, provider })),
  );
  return (await vscode.window.showQuickPick(items, { title: `Model Router: ${title}`, placeHolder: 'Choose a provider' }))?.provider;
}

async function sendToModel(container: Container, task: TaskType | undefined): Promise<unknown> {
  const { config } = await container.configService.get();
  const engine = loadEngine();
  const prices = engine.createPriceTable(config.pricing, engine.providerPriceOptions(Object.values(config.providers)));
  type Item = vscode.QuickPickItem & { provider?: string; model?: string };
  const items: Item[] = [];
  for (const provider of Object.values(config.providers)) {
    if (!provider.enabled) continue;
    items.push({ label: provider.label, kind: vscode.QuickPickItemKind.Separator });
    const seen = new Set<string>();
    for (const tier of TIERS) {
      const model = provider.models[tier];
      if (!model || seen.has(model)) continue;
      seen.add(model);
      // The router's price: a model without a known one is charged at its provider's ceiling.
      const { price, unknown } = prices.charge(provider.id, model);
      const rates = `$${price.input} in / $${price.output} out per million tokens`;
      items.push({
        label: `${provider.id}/${model}`,
        description: tier,
        detail: provider.free ? 'free (local)' : unknown ? `price unknown: estimated and booked at ${rates}` : rates,
        provider: provider.id,
        model,
      });
    }
  }
  const picked = await vscode.window.showQuickPick(items, { title: 'Model Router: Send to Model…', placeHolder: 'The model to use (health, limits and budgets still apply)', matchOnDetail: true });
  if (!picked?.provider || !picked.model) return undefined;
  let chosenTask = task;
  if (!chosenTask) {
    const taskPick = await vscode.window.showQuickPick(
      TASK_TYPES.map((t) => ({ label: TASK_TITLES[t], task: t })),
      { title: `Model Router: what should ${picked.label} do?` },
    );
    if (!taskPick) return undefined;
    chosenTask = taskPick.task;
  }
  return container.runner.run(chosenTask, { forced: { provider: picked.provider, model: picked.model }, command: CommandId.sendToModel });
}

async function testConnection(container: Container, providerId: string | undefined): Promise<void> {
  const { config } = await container.configService.get();
  const provider = providerId ? config.providers[providerId] : await pickProvider(config, 'Test Connection', (p) => p.enabled);
  if (!provider) return;
  const router = await container.routerService.router();
  const status = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Model Router: testing ${provider.label}…`, cancellable: true },
    (_progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      // The shared connection test (as `model-router status`), through the router so a local server that answers
      // (or refuses) updates its health at once.
      return router.testConnection(provider.id, { timeoutMs: TEST_CONNECTION_TIMEOUT_MS, signal: controller.signal });
    },
  );
  container.providersTree.setTestResults(new Map([[provider.id, status]]));
  const key = status.keyId && status.keyId !== 'default' ? ` with key "${status.keyId}"` : '';
  if (status.result === 'ok') {
    container.log.info(`Test Connection ${provider.id}: ok in ${formatMs(status.latencyMs ?? 0)}${key}.`);
    void vscode.window.showInformationMessage(`Model Router: ${provider.label} answered in ${formatMs(status.latencyMs ?? 0)}${key}${status.models ? ` (${status.models} models)` : ''}.`);
  } else if (status.result === 'skipped') {
    void vscode.window.showWarningMessage(`Model Router: ${provider.label} not tested: ${notificationText(container.log.clean(status.message ?? ''))}.`, ...(provider.requiresKey ? ['Set API Key'] : [])).then((choice) => {
      if (choice) void vscode.commands.executeCommand(CommandId.setApiKey, provider.id);
    });
  } else {
    container.log.warn(`Test Connection ${provider.id} failed${key}: ${status.errorKind}: ${status.message}`);
    const actions = status.errorKind === 'auth' ? ['Set API Key', 'Show Log'] : ['Show Log'];
    // The message may quote the server's error body: no key of any provider, no link a click would follow.
    const said = notificationText(container.log.clean(status.message ?? status.errorKind ?? 'error'));
    void vscode.window.showErrorMessage(`Model Router: ${provider.label} failed the connection test${key}: ${said}`, ...actions).then((choice) => {
      if (choice === 'Set API Key') void vscode.commands.executeCommand(CommandId.setApiKey, provider.id);
      else if (choice === 'Show Log') container.log.show();
    });
  }
}

/**
 * Test All Providers: every provider's connection test at once (the same core test as `model-router status`), each
 * result shown in the Providers tree and in the log, and one notification with the summary.
 */
async function testAllProviders(container: Container): Promise<void> {
  const { config } = await container.configService.get();
  const providers = Object.values(config.providers);
  const router = await container.routerService.router();
  const results = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Model Router: testing ${providers.length} providers…`, cancellable: true },
    async (_progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      const statuses = await Promise.all(providers.map(async (p) => [p.id, await router.testConnection(p.id, { timeoutMs: TEST_CONNECTION_TIMEOUT_MS, signal: controller.signal })] as const));
      return new Map(statuses);
    },
  );
  container.providersTree.setTestResults(results);
  const failed: string[] = [];
  let ok = 0;
  for (const provider of providers) {
    const status = results.get(provider.id);
    if (!status) continue;
    const key = status.keyId && status.keyId !== 'default' ? ` with key "${status.keyId}"` : '';
    if (status.result === 'ok') {
      ok++;
      container.log.info(`Test All Providers: ${provider.id} ok in ${formatMs(status.latencyMs ?? 0)}${key}.`);
    } else if (status.result === 'skipped') {
      container.log.info(`Test All Providers: ${provider.id} not tested: ${status.message ?? ''}.`);
    } else {
      failed.push(provider.label);
      container.log.warn(`Test All Providers: ${provider.id} failed${key}: ${status.errorKind}: ${status.message}`);
    }
  }
  const tested = [...results.values()].filter((status) => status.result !== 'skipped').length;
  const summary = `Model Router: ${ok} of ${tested} tested providers answered${failed.length ? `; failed: ${failed.join(', ')}` : ''}${tested < providers.length ? ` (${providers.length - tested} not tested: disabled or no key)` : ''}. Details in the Providers view.`;
  if (failed.length === 0 && tested > 0) void vscode.window.showInformationMessage(notificationText(summary));
  else {
    void vscode.window.showWarningMessage(notificationText(summary), 'Show Log').then((choice) => {
      if (choice === 'Show Log') container.log.show();
    });
  }
}

async function resetHealth(container: Container, providerId: string | undefined): Promise<void> {
  const { config } = await container.configService.get();
  let id = providerId;
  if (!id) {
    const items = [{ label: 'All providers', id: undefined as string | undefined }, ...Object.values(config.providers).map((p) => ({ label: p.label, description: p.id, id: p.id }))];
    const picked = await vscode.window.showQuickPick(items, { title: 'Model Router: Reset Provider Health' });
    if (!picked) return;
    id = picked.id;
  }
  container.routerService.resetHealth(id);
  container.log.info(`Health reset for ${id ?? 'all providers'}.`);
  void vscode.window.showInformationMessage(`Model Router: health reset for ${id ? (config.providers[id]?.label ?? id) : 'all providers'}; circuits closed and rate-limit penalties forgotten.`);
}

async function setApiKey(container: Container, providerId: string | undefined, keyId: string | undefined): Promise<boolean> {
  const { config } = await container.configService.get();
  const provider = providerId
    ? config.providers[providerId]
    : await pickProvider(config, 'Set API Key', (p) => p.requiresKey && p.keys.length > 0, async (p) => ((await container.keys.has(p.id, p.keys[0]?.id ?? 'default')) ? 'key set: replace it' : 'key missing'));
  if (!provider) return false;
  if (!provider.requiresKey || provider.keys.length === 0) {
    void vscode.window.showInformationMessage(`Model Router: ${provider.label} takes no key${provider.requiresKey ? ' (it is declared by the workspace; declare it in your user config to give it one)' : ''}.`);
    return false;
  }
  let id = keyId;
  let tiers: Tier[] | undefined;
  if (!id) {
    if (provider.keys.length === 1 && !(await container.keys.has(provider.id, provider.keys[0]!.id))) {
      id = provider.keys[0]!.id;
    } else {
      const items = [
        ...(await Promise.all(provider.keys.map(async (k) => ({ label: k.id, description: (await container.keys.has(provider.id, k.id)) ? 'set: replace it' : 'missing', id: k.id })))),
        { label: '$(add) Add another key…', description: 'for a second account, project or tier', id: undefined as string | undefined },
      ];
      const picked = await vscode.window.showQuickPick(items, { title: `Model Router: which ${provider.label} key?` });
      if (!picked) return false;
      id = picked.id;
      if (!id) {
        id = await vscode.window.showInputBox({
          title: `Model Router: name the new ${provider.label} key`,
          prompt: 'An id such as "work" or "personal" (letters, digits, . _ -)',
          validateInput: (value) => (KEY_ID_PATTERN.test(value) ? (provider.keys.some((k) => k.id === value) ? 'That key exists: pick it from the list instead.' : undefined) : 'Use 1-40 letters, digits, ".", "_" or "-".'),
        });
        if (!id) return false;
        const tierPick = await vscode.window.showQuickPick(
          TIERS.map((tier) => ({ label: tier, picked: false })),
          { title: `Model Router: which work may key "${id}" take? (none picked: all)`, canPickMany: true },
        );
        if (!tierPick) return false;
        tiers = tierPick.map((item) => item.label);
      }
    }
  }
  const value = await vscode.window.showInputBox({
    title: `Model Router: ${provider.label} API key${id !== 'default' ? ` "${id}"` : ''}`,
    prompt: 'Stored in VS Code\'s secret storage (the OS keychain); never in settings, logs or the ledger.',
    password: true,
    ignoreFocusOut: true,
    validateInput: keyValueProblem,
  });
  if (value === undefined) return false;
  await container.keys.set({ provider: provider.id, id, ...(tiers && tiers.length > 0 ? { tiers } : {}) }, value);
  void vscode.window.showInformationMessage(`Model Router: ${provider.label} key${id !== 'default' ? ` "${id}"` : ''} stored.`, 'Test Connection').then((choice) => {
    if (choice) void vscode.commands.executeCommand(CommandId.testConnection, provider.id);
  });
  return true;
}

async function removeApiKey(container: Container, providerId: string | undefined, keyId: string | undefined): Promise<boolean> {
  let provider = providerId;
  let id = keyId;
  if (!provider || !id) {
    const stored = (await container.keys.list()).filter((k) => !provider || k.provider === provider);
    if (stored.length === 0) {
      void vscode.window.showInformationMessage('Model Router: no key is stored.');
      return false;
    }
    const picked = stored.length === 1 && provider ? { entry: stored[0]! } : await vscode.window.showQuickPick(stored.map((entry) => ({ label: `${entry.provider}: ${entry.id}`, entry })), { title: 'Model Router: Remove API Key' });
    if (!picked) return false;
    provider = picked.entry.provider;
    id = picked.entry.id;
  }
  const confirm = await vscode.window.showWarningMessage(`Remove the ${provider} key "${id}" from VS Code's secret storage?`, { modal: true }, 'Remove');
  if (confirm !== 'Remove') return false;
  await container.keys.remove(provider, id);
  return true;
}

async function importKeys(container: Container): Promise<number> {
  const { config } = await container.configService.get();
  const engine = loadEngine();
  const imported: string[] = [];
  const looked: string[] = [];
  for (const provider of Object.values(config.providers)) {
    if (!provider.requiresKey) continue;
    for (const key of provider.keys) {
      looked.push(engine.describeKeyVariables(provider.id, key.id));
      const value = engine.keyFromEnv(process.env, provider.id, key.id);
      if (!value) continue;
      if ((await container.keys.get(provider.id, key.id)) === value) continue;
      await container.keys.set({ provider: provider.id, id: key.id }, value);
      imported.push(`${provider.label}${key.id !== 'default' ? ` (${key.id})` : ''} from ${engine.describeKeyVariables(provider.id, key.id)}`);
    }
  }
  if (imported.length > 0) {
    void vscode.window.showInformationMessage(`Model Router: imported ${imported.length} key${imported.length === 1 ? '' : 's'} into the secret storage: ${imported.join('; ')}.`);
  } else {
    void vscode.window.showInformationMessage(`Model Router: no new key in the environment of this window (looked at ${looked.join(', ')}).`);
  }
  return imported.length;
}

/**
 * Reassign Agent…: the agent, its chain provider by provider (every enabled provider, the custom ones declared in the
 * YAML config too), then its reasoning. A chain of built-in providers with the reasoning kept goes to the user setting
 * `modelRouter.agents.<agent>` (the Settings editor's dropdowns); a chain with a YAML provider, or a new reasoning,
 * goes to the user YAML (`agents.<agent>: { chain, reasoning }`, comments kept; settings cannot hold either), and a
 * user setting of that agent's chain, which would hide it, is removed.
 */
async function reassignAgent(container: Container, agentId: AgentId | undefined): Promise<boolean> {
  const state = await container.configService.get();
  const { config } = state;
  let agent = agentId;
  if (!agent) {
    const picked = await vscode.window.showQuickPick(
      Object.values(config.agents).map((a) => ({ label: a.id, description: a.chain.join(' → '), detail: a.reasoning, id: a.id })),
      { title: 'Model Router: Reassign Agent…', placeHolder: 'Which agent?' },
    );
    if (!picked) return false;
    agent = picked.id;
  }
  const chain: string[] = [];
  const providers = Object.values(config.providers).filter((p) => p.enabled);
  const builtin = (id: string): boolean => (BUILTIN_PROVIDER_IDS as readonly string[]).includes(id);
  for (;;) {
    const left = providers.filter((p) => !chain.includes(p.id));
    if (left.length === 0) break;
    type Item = vscode.QuickPickItem & { id?: string };
    const items: Item[] = [
      ...(chain.length > 0 ? [{ label: '$(check) Done', description: chain.join(' → ') } as Item] : []),
      ...left.map((p) => ({
        label: p.label,
        description: builtin(p.id) ? p.id : `${p.id} · declared in your YAML config`,
        detail: TIERS.map((t) => p.models[t] ?? '—').join(' / '),
        id: p.id,
      })),
    ];
    const picked = await vscode.window.showQuickPick(items, { title: `Model Router: ${agent}: ${chainRole(chain.length, chain.length + 2)} provider`, placeHolder: chain.length ? `So far: ${chain.join(' → ')}` : 'The provider tried first' });
    if (!picked) return false;
    if (!picked.id) break;
    chain.push(picked.id);
  }
  if (chain.length === 0) return false;
  const current = config.agents[agent].reasoning;
  const typed = await vscode.window.showInputBox({
    title: `Model Router: ${agent}: reasoning (optional)`,
    prompt: `Why ${chain.join(' → ')}? Shown as the agent's tooltip. Leave empty to keep: "${current}"`,
    placeHolder: current,
    ignoreFocusOut: true,
  });
  if (typed === undefined) return false;
  const reasoning = typed.trim() === '' ? undefined : typed.trim();
  if (reasoning === undefined && chain.every(builtin)) {
    await writeAgentChains([[agent, chain]], container.log);
    return true;
  }
  return writeAgentToYaml(container, state.userFile, agent, chain, reasoning ?? current);
}

/** Writes `agents.<agent>: { chain, reasoning }` into the user YAML (comments kept) and drops a user setting that would hide it. */
async function writeAgentToYaml(container: Container, file: string, agent: AgentId, chain: readonly string[], reasoning: string): Promise<boolean> {
  const engine = loadEngine();
  const { config } = await container.configService.get();
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    text = undefined;
  }
  const result = engine.assignAgentInYaml(file, text, agent, chain, reasoning, { knownProviders: Object.keys(config.providers) });
  if (!result.ok) {
    const first = result.diagnostics.find((d) => d.severity === 'error');
    container.log.warn(`Reassign ${agent}: ${result.diagnostics.map((d) => engine.formatDiagnostic(d)).join('; ')}`);
    void vscode.window.showErrorMessage(`Model Router: ${file} was not changed: ${notificationText(first ? engine.formatDiagnostic(first) : 'the edit did not validate')}. Fix the file first.`, 'Show Log').then((choice) => {
      if (choice) container.log.show();
    });
    return false;
  }
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, result.text, { encoding: 'utf8', mode: 0o600 });
  await rename(temporary, file);
  container.log.info(`Agent ${agent}: ${chain.join(' → ')} (${file}); reasoning: ${reasoning}`);
  const settings = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const key = agentChainSettingKey(agent);
  const hidden = settings.inspect(key)?.globalValue !== undefined;
  if (hidden) await settings.update(key, undefined, vscode.ConfigurationTarget.Global);
  void vscode.window.showInformationMessage(
    `Model Router: ${agent} → ${chain.join(' → ')}, written to ${file}${hidden ? ` (the user setting ${SETTINGS_SECTION}.${key}, which would hide it, was removed)` : ''}.`,
  );
  return true;
}

async function applyPresetCommand(container: Container, preset: PresetName | undefined): Promise<boolean> {
  const { config } = await container.configService.get();
  const engine = loadEngine();
  let name = preset && (PRESETS as readonly string[]).includes(preset) ? preset : undefined;
  if (!name) {
    const descriptions: Record<PresetName, string> = {
      cost: 'cheapest first for every agent',
      performance: 'strongest first for every agent',
      balanced: 'strong models for review, refactor and questions; cheap ones for explain and document',
    };
    const picked = await vscode.window.showQuickPick(
      PRESETS.map((p) => ({ label: p, description: descriptions[p], detail: `implementer: ${engine.applyPreset(config, p).implementer.join(' → ')}`, preset: p })),
      { title: 'Model Router: Apply Preset', placeHolder: 'Rewrites every agent\'s chain (user settings)' },
    );
    if (!picked) return false;
    name = picked.preset;
  }
  const chains = engine.applyPreset(config, name);
  await writeAgentChains(AGENT_IDS.map((agent) => [agent, chains[agent]] as const), container.log);
  container.log.info(`Preset ${name} applied: ${AGENT_IDS.map((a) => `${a}: ${chains[a].join(' → ')}`).join('; ')}`);
  void vscode.window.showInformationMessage(`Model Router: preset "${name}" applied to all ${AGENT_IDS.length} agents (user settings).`);
  return true;
}
