/**
 * package.json's contributions against the code: command, view and context-key ids (src/vscode/commandIds.ts), the
 * settings the bridge reads (src/vscode/settings.ts) and the enums and defaults of the core configuration.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { DEFAULT_CONFIG } from '../../src/core/config/defaults';
import { AGENT_IDS, BUDGET_ACTIONS, PRESETS, STRATEGIES, TIERS } from '../../src/core/config/types';
import { BUILTIN_TIER_MODELS } from '../../src/core/pricing/prices';
import { BUILTIN_PROVIDER_IDS } from '../../src/core/providers/types';
import { CommandId, ContextKey, TREE_ONLY_COMMANDS, ViewId } from '../../src/vscode/commandIds';
import { agentChainSettingKey, LOG_LEVELS, SETTING_KEYS, SettingKey, USER_ONLY_SETTING_KEYS, WORKSPACE_SETTING_KEYS } from '../../src/vscode/settings';

const ROOT = join(__dirname, '..', '..');

interface Command {
  command: string;
  title: string;
  category?: string;
  icon?: string;
}
interface MenuItem {
  command?: string;
  submenu?: string;
  when?: string;
  group?: string;
}
interface Setting {
  type: string | string[];
  enum?: unknown[];
  enumDescriptions?: string[];
  items?: { type: string; enum?: unknown[] };
  default?: unknown;
  scope?: string;
  description?: string;
  markdownDescription?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
}
interface Manifest {
  activationEvents: string[];
  contributes: {
    commands: Command[];
    submenus: { id: string; label: string }[];
    menus: Record<string, MenuItem[]>;
    keybindings: { command: string; key: string; mac?: string; when?: string }[];
    viewsContainers: { activitybar: { id: string; title: string; icon: string }[] };
    views: Record<string, { id: string; name: string }[]>;
    viewsWelcome: { view: string; contents: string; when?: string }[];
    configuration: { title: string; properties: Record<string, Setting> }[];
    yamlValidation: { fileMatch: string | string[]; url: string }[];
  };
  capabilities: { untrustedWorkspaces: { supported: boolean | 'limited'; description?: string; restrictedConfigurations?: string[] } };
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
const contributes = manifest.contributes;
const settings: Record<string, Setting> = Object.fromEntries(contributes.configuration.flatMap((section) => Object.entries(section.properties)));
const COMMAND_IDS: readonly string[] = Object.values(CommandId);
const setting = (key: string): Setting => {
  const found = settings[`modelRouter.${key}`];
  assert.ok(found, `modelRouter.${key} is contributed`);
  return found;
};

/** Every `menus` entry that names a command, with its menu. */
function menuEntries(): { menu: string; item: MenuItem }[] {
  return Object.entries(contributes.menus).flatMap(([menu, items]) => items.map((item) => ({ menu, item })));
}

/** Evaluates a `view/item/context` when clause of ours (`view == x && viewItem =~ /re/`) for a view and contextValue. */
function shows(when: string | undefined, view: string, viewItem: string): boolean {
  return (when ?? '').split(' && ').every((term) => {
    const eq = /^view == (\S+)$/.exec(term);
    if (eq) return eq[1] === view;
    const re = /^viewItem =~ \/(.+)\/$/.exec(term);
    if (re) return new RegExp(re[1]!).test(viewItem);
    const same = /^viewItem == (\S+)$/.exec(term);
    if (same) return same[1] === viewItem;
    throw new Error(`unexpected term in a view/item/context when clause: ${term}`);
  });
}

function itemCommands(view: string, viewItem: string, inline: boolean): string[] {
  return (contributes.menus['view/item/context'] ?? [])
    .filter((item) => (item.group ?? '').startsWith('inline') === inline && shows(item.when, view, viewItem))
    .map((item) => item.command!);
}

describe('manifest (package.json contributes)', () => {
  it('contributes every command id exactly once, in the "Model Router" category, and no other', () => {
    const contributed = contributes.commands.map((command) => command.command);
    for (const id of COMMAND_IDS) {
      assert.equal(contributed.filter((command) => command === id).length, 1, `${id} contributed once`);
    }
    assert.deepEqual([...contributed].sort(), [...COMMAND_IDS].sort());
    for (const command of contributes.commands) {
      assert.equal(command.category, 'Model Router', command.command);
      assert.ok(command.title.trim().length > 0, command.command);
      if (command.icon !== undefined) assert.match(command.icon, /^\$\([a-z0-9-]+\)$/, command.command);
    }
  });

  it('names only known commands and context keys in menus and keybindings', () => {
    const contextKeys = new Set<string>(Object.values(ContextKey));
    const submenus = new Set(contributes.submenus.map((submenu) => submenu.id));
    for (const { menu, item } of menuEntries()) {
      if (item.submenu !== undefined) assert.ok(submenus.has(item.submenu), `${menu}: submenu ${item.submenu}`);
      else assert.ok(COMMAND_IDS.includes(item.command!), `${menu}: ${item.command}`);
      for (const key of (item.when ?? '').match(/modelRouter\.[A-Za-z]+/g) ?? []) {
        if (!key.startsWith('modelRouter.providers') && !key.startsWith('modelRouter.agents')) {
          assert.ok(contextKeys.has(key), `${menu}: context key ${key}`);
        }
      }
    }
    for (const binding of contributes.keybindings) assert.ok(COMMAND_IDS.includes(binding.command), binding.command);
    // Commands inline in a tree or a view title show an icon there; without one they would show as text.
    for (const { menu, item } of menuEntries()) {
      const inline = menu === 'view/title' ? item.group?.startsWith('navigation') : (item.group ?? '').startsWith('inline');
      if (inline) assert.ok(contributes.commands.find((command) => command.command === item.command)?.icon, `${item.command} has an icon`);
    }
  });

  it('hides the tree-only commands from the Command Palette, and Retry until there is something to retry', () => {
    const palette = contributes.menus.commandPalette ?? [];
    for (const id of TREE_ONLY_COMMANDS) {
      assert.deepEqual(
        palette.filter((item) => item.command === id).map((item) => item.when),
        ['false'],
        `${id} hidden from the palette`,
      );
    }
    assert.deepEqual(palette.filter((item) => item.command === CommandId.retryStronger).map((item) => item.when), [ContextKey.canRetry]);
    // Every other command stays in the palette.
    const hidden = palette.filter((item) => item.when === 'false').map((item) => item.command);
    assert.deepEqual([...hidden].sort(), [...TREE_ONLY_COMMANDS].sort());
  });

  it('offers the run commands in an editor context submenu', () => {
    const [entry] = contributes.menus['editor/context'] ?? [];
    assert.ok(entry?.submenu, 'editor/context has the submenu');
    assert.equal(contributes.submenus.find((submenu) => submenu.id === entry.submenu)?.label, 'Model Router');
    const run = [
      CommandId.explain,
      CommandId.refactor,
      CommandId.writeTests,
      CommandId.review,
      CommandId.document,
      CommandId.fix,
      CommandId.implement,
      CommandId.ask,
      CommandId.sendToModel,
      CommandId.retryStronger,
      CommandId.compareModels,
    ];
    assert.deepEqual((contributes.menus[entry.submenu] ?? []).map((item) => item.command).sort(), [...run].sort());
  });

  it('binds Ask to a key when the editor has focus', () => {
    const ask = contributes.keybindings.filter((binding) => binding.command === CommandId.ask);
    assert.equal(ask.length, 1);
    assert.equal(ask[0]!.when, 'editorTextFocus');
    assert.ok(ask[0]!.key && ask[0]!.mac);
  });

  it('shows the right actions on provider, key and agent tree items', () => {
    const P = ViewId.providers;
    const A = ViewId.agents;
    const C = CommandId;
    assert.deepEqual(itemCommands(P, 'provider.requiresKey.keyMissing', true), [C.setApiKey, C.testConnection, C.resetHealth]);
    assert.deepEqual(itemCommands(P, 'provider.requiresKey.keySet', true), [C.setApiKey, C.testConnection, C.resetHealth]);
    assert.deepEqual(itemCommands(P, 'provider.keyMissing', true), [C.testConnection, C.resetHealth]); // a local server
    assert.ok(itemCommands(P, 'provider.requiresKey.keySet', false).includes(C.removeApiKey));
    assert.ok(!itemCommands(P, 'provider.requiresKey.keyMissing', false).includes(C.removeApiKey));
    assert.deepEqual(itemCommands(P, 'key.keySet', true), [C.removeApiKey]);
    assert.deepEqual(itemCommands(P, 'key.keyMissing', true), [C.setApiKey]);
    assert.deepEqual(itemCommands(A, 'agent', true), [C.reassignAgent]);
    assert.ok(itemCommands(A, 'agent', false).includes(C.openAgentSettings));
    // Nothing of one view shows in the other.
    assert.deepEqual(itemCommands(A, 'provider.requiresKey.keySet', true), []);
    assert.deepEqual(itemCommands(P, 'agent', true), []);
    const titles = (view: string): string[] =>
      (contributes.menus['view/title'] ?? []).filter((item) => item.when === `view == ${view}`).map((item) => item.command!);
    assert.deepEqual(titles(P).sort(), [C.testAllProviders, C.refreshTree, C.openDashboard, C.importKeysFromEnv].sort());
    // Test All Providers is also in the Command Palette (not hidden there) and has an icon for the view title.
    assert.ok(!(contributes.menus.commandPalette ?? []).some((item) => item.command === C.testAllProviders && item.when === 'false'));
    assert.match(contributes.commands.find((c) => c.command === C.testAllProviders)?.icon ?? '', /^\$\(.+\)$/);
    assert.deepEqual(titles(A).sort(), [C.applyPreset, C.refreshTree].sort());
  });

  it('puts the views in their own activity-bar container, with a welcome view while no provider is usable (no key, no local server answered)', () => {
    const [container] = contributes.viewsContainers.activitybar;
    assert.equal(container?.id, ViewId.container);
    assert.ok(existsSync(join(ROOT, container.icon)), `${container.icon} exists`);
    assert.match(readFileSync(join(ROOT, container.icon), 'utf8'), /currentColor/);
    assert.deepEqual(Object.keys(contributes.views), [ViewId.container]);
    assert.deepEqual(
      contributes.views[ViewId.container]!.map((view) => view.id),
      [ViewId.providers, ViewId.agents],
    );
    const welcome = contributes.viewsWelcome.find((entry) => entry.view === ViewId.providers);
    assert.equal(welcome?.when, `!${ContextKey.anyUsable}`);
    assert.ok(welcome.contents.includes(`(command:${CommandId.setApiKey})`));
    assert.ok(welcome.contents.includes(`(command:${CommandId.importKeysFromEnv})`));
    assert.match(welcome.contents, /secret storage/);
    // Startup for the status bar's spend; the dashboard's view type so a panel restored after a reload finds its serializer.
    assert.deepEqual(manifest.activationEvents, ['onStartupFinished', 'onWebviewPanel:modelRouter.dashboard']);
  });

  it('validates the YAML config files with the shipped schema', () => {
    const [entry] = contributes.yamlValidation;
    assert.ok(entry);
    assert.deepEqual([entry.fileMatch].flat().sort(), ['**/model-router/config.yaml', '*.model-router.yaml', '.model-router.yaml'].sort());
    assert.ok(existsSync(join(ROOT, entry.url)), `${entry.url} exists`);
    const ignore = readFileSync(join(ROOT, '.vscodeignore'), 'utf8');
    assert.match(ignore, new RegExp(`^!${entry.url.replace(/^\.\//, '').replace(/\./g, '\\.')}$`, 'm'), 'the schema ships in the .vsix');
  });

  it('restricts every setting a workspace may not set in untrusted workspaces too', () => {
    const trust = manifest.capabilities.untrustedWorkspaces;
    assert.equal(trust.supported, 'limited');
    assert.ok(trust.description && /\.model-router\.yaml/.test(trust.description));
    assert.deepEqual([...(trust.restrictedConfigurations ?? [])].sort(), USER_ONLY_SETTING_KEYS.map((key) => `modelRouter.${key}`).sort());
    for (const key of trust.restrictedConfigurations ?? []) assert.ok(settings[key], `${key} is contributed`);
  });
});

describe('manifest (package.json configuration)', () => {
  it('contributes exactly the settings the bridge reads', () => {
    const contributed = Object.keys(settings);
    assert.deepEqual([...contributed].sort(), SETTING_KEYS.map((key) => `modelRouter.${key}`).sort());
    for (const [key, value] of Object.entries(settings)) {
      assert.ok(value.markdownDescription ?? value.description, `${key} is described`);
      if (value.enum !== undefined) assert.equal(value.enumDescriptions?.length, value.enum.length, `${key} describes each value`);
    }
  });

  it('has an agent chain setting per agent: drop-downs of the built-in providers, defaulting to the built-in chain', () => {
    for (const agent of AGENT_IDS) {
      const chain = setting(agentChainSettingKey(agent));
      assert.equal(chain.type, 'array', agent);
      assert.deepEqual(chain.items, { type: 'string', enum: [...BUILTIN_PROVIDER_IDS] }, agent);
      assert.deepEqual(chain.default, DEFAULT_CONFIG.agents[agent].chain, agent);
      assert.match(chain.markdownDescription!, new RegExp(`\\*\\*${agent}\\*\\*`));
      assert.match(chain.markdownDescription!, /primary → secondary → … → fallback/);
    }
  });

  it('matches the core enums, defaults and ranges', () => {
    assert.deepEqual(setting(SettingKey.strategy).enum, [...STRATEGIES]);
    assert.equal(setting(SettingKey.strategy).default, DEFAULT_CONFIG.routing.strategy);
    assert.deepEqual(setting(SettingKey.preset).enum, ['none', ...PRESETS]);
    assert.equal(setting(SettingKey.preset).default, 'none');
    assert.deepEqual(setting(SettingKey.budgetOnExceed).enum, [...BUDGET_ACTIONS]);
    assert.equal(setting(SettingKey.budgetOnExceed).default, DEFAULT_CONFIG.budget.onExceed);
    assert.deepEqual(setting(SettingKey.logLevel).enum, [...LOG_LEVELS]);
    assert.equal(setting(SettingKey.lightMax).default, DEFAULT_CONFIG.routing.tiers.lightMax);
    assert.equal(setting(SettingKey.mediumMax).default, DEFAULT_CONFIG.routing.tiers.mediumMax);
    assert.equal(setting(SettingKey.localFirst).default, DEFAULT_CONFIG.routing.localFirst);
    assert.equal(setting(SettingKey.escalateAfterFailures).default, DEFAULT_CONFIG.routing.escalateAfterFailures);
    assert.equal(setting(SettingKey.ledgerStoreInstructions).default, DEFAULT_CONFIG.ledger.storeInstructions);
    assert.equal(setting(SettingKey.ledgerRetentionDays).default, DEFAULT_CONFIG.ledger.retentionDays);
    // The same ranges as schemas/model-router.schema.json (tiers: 1 <= light < medium <= 9; budgets above 0).
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/model-router.schema.json'), 'utf8')) as {
      properties: Record<string, { properties: Record<string, { minimum?: number; maximum?: number; exclusiveMinimum?: number }> }>;
    };
    const tiers = schema.properties.tiers!.properties;
    for (const [key, field] of [[SettingKey.lightMax, 'light'], [SettingKey.mediumMax, 'medium']] as const) {
      assert.equal(setting(key).minimum, tiers[field]!.minimum, key);
      assert.equal(setting(key).maximum, tiers[field]!.maximum, key);
    }
    for (const [key, field] of [[SettingKey.budgetDaily, 'daily'], [SettingKey.budgetMonthly, 'monthly']] as const) {
      assert.deepEqual(setting(key).type, ['number', 'null']);
      assert.equal(setting(key).default, null);
      assert.equal(setting(key).exclusiveMinimum, schema.properties.budget!.properties[field]!.exclusiveMinimum, key);
    }
  });

  it('has a per-tier models setting per built-in provider, naming its built-in models', () => {
    for (const provider of BUILTIN_PROVIDER_IDS) {
      const models = setting(`models.${provider}`) as Setting & { properties: Record<string, { type: string }>; additionalProperties: boolean };
      assert.equal(models.type, 'object');
      assert.deepEqual(Object.keys(models.properties), [...TIERS]);
      for (const tier of TIERS) assert.equal(models.properties[tier]!.type, 'string');
      assert.equal(models.additionalProperties, false);
      for (const model of Object.values(BUILTIN_TIER_MODELS[provider])) assert.ok(models.markdownDescription!.includes(`\`${model}\``), `${provider}: ${model}`);
    }
  });

  it('lets a workspace set only the routing allow-list; money, data and endpoint settings are user-only', () => {
    // Written out here on purpose: putting a setting on the allow-list must be a visible change to this test.
    const routingOnly = [
      'strategy',
      'preset',
      'tiers.lightMax',
      'tiers.mediumMax',
      'localFirst',
      'escalateAfterFailures',
      'log.level',
      ...AGENT_IDS.map(agentChainSettingKey),
    ];
    assert.deepEqual([...WORKSPACE_SETTING_KEYS].sort(), [...routingOnly].sort());
    const workspaceSettable = Object.entries(settings)
      .filter(([, value]) => value.scope !== 'application' && value.scope !== 'machine')
      .map(([key]) => key.slice('modelRouter.'.length));
    assert.deepEqual(workspaceSettable.sort(), [...routingOnly].sort(), 'every other setting is application or machine scoped');
    for (const money of ['budget.', 'ledger.', 'models.', 'configFile', 'localServer.']) {
      assert.ok(!workspaceSettable.some((key) => key.startsWith(money)), `no ${money} setting is workspace-settable`);
    }
  });

  it('scopes what a workspace must not change to the user (application) or the machine', () => {
    for (const key of USER_ONLY_SETTING_KEYS) {
      const scope = setting(key).scope;
      assert.ok(scope === 'application' || scope === 'machine', `${key}: scope ${scope}`);
    }
    for (const key of [SettingKey.budgetDaily, SettingKey.budgetMonthly, SettingKey.budgetOnExceed, SettingKey.budgetTimeZone]) {
      assert.equal(setting(key).scope, 'application', key);
    }
    for (const key of SETTING_KEYS.filter((key) => !USER_ONLY_SETTING_KEYS.includes(key))) {
      assert.equal(setting(key).scope, undefined, `${key} may be set per workspace`);
    }
  });
});
