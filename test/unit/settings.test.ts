import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';

import type { PartialConfigFromSettings } from '../../src/core/config/configFile';
import { DEFAULT_CONFIG } from '../../src/core/config/defaults';
import type { ConfigResolution } from '../../src/core/config/layering';
import { resolveConfig } from '../../src/core/config/layering';
import { isValidTimeZone } from '../../src/core/config/load';
import { presetAssignments } from '../../src/core/config/presets';
import type { PresetName } from '../../src/core/config/types';
import { AGENT_IDS } from '../../src/core/config/types';
import { BUILTIN_PROVIDER_IDS } from '../../src/core/providers/types';
import type { SettingInspection, SettingsReader } from '../../src/vscode/settings';
import {
  agentChainSettingKey,
  readSettings,
  resolveWithSettings,
  SETTING_KEYS,
  settingsLayerWithPreset,
  USER_ONLY_SETTING_KEYS,
} from '../../src/vscode/settings';

type Scoped = SettingInspection<unknown>;

/** A fake `getConfiguration('modelRouter')`: values per key and scope; `defaultValue` stands in for the manifest's. */
function reader(values: Record<string, Scoped>): SettingsReader & { readonly asked: Set<string> } {
  const asked = new Set<string>();
  return {
    asked,
    inspect<T>(key: string): SettingInspection<T> | undefined {
      asked.add(key);
      return (values[key] ?? {}) as SettingInspection<T>;
    },
  };
}

const user = (value: unknown): Scoped => ({ globalValue: value });
const NOW = new Date('2026-11-23T12:00:00Z');
const assign = (config: Parameters<typeof presetAssignments>[0], preset: PresetName): ReturnType<typeof presetAssignments> =>
  presetAssignments(config, preset, { now: NOW });

function problemAbout(problems: readonly string[], key: string): string {
  const found = problems.find((problem) => problem.startsWith(`modelRouter.${key} `) || problem.includes(`modelRouter.${key} (`));
  assert.ok(found, `a problem about modelRouter.${key} in ${JSON.stringify(problems)}`);
  return found;
}

describe('settings bridge (readSettings)', () => {
  it('applies no defaults: with only the manifest defaults set, the settings layer is empty', () => {
    const defaults: Record<string, Scoped> = {
      strategy: { defaultValue: 'fallback' },
      preset: { defaultValue: 'none' },
      'tiers.lightMax': { defaultValue: 3 },
      'budget.onExceed': { defaultValue: 'warn' },
      'log.level': { defaultValue: 'info' },
      configFile: { defaultValue: '' },
      ...Object.fromEntries(AGENT_IDS.map((id) => [agentChainSettingKey(id), { defaultValue: [...DEFAULT_CONFIG.agents[id].chain] }])),
    };
    const settings = readSettings(reader(defaults));
    assert.deepEqual(settings.config, {});
    assert.equal(settings.preset, undefined);
    assert.equal(settings.configFile, undefined);
    assert.equal(settings.localBaseUrl, undefined);
    assert.equal(settings.logLevel, 'info');
    assert.deepEqual(settings.problems, []);
  });

  it('so a chain from the YAML config survives the settings layer', () => {
    const settings = readSettings(reader({ [agentChainSettingKey('explainer')]: { defaultValue: ['local', 'gemini'] } }));
    const { config } = resolveConfig({
      workspaceTrusted: true,
      user: { file: 'user.yaml', text: 'agents:\n  explainer:\n    chain: [openai, local]\n' },
      settings: settings.config,
    });
    assert.deepEqual(config.agents.explainer.chain, ['openai', 'local']);
  });

  it('reads every key of SETTING_KEYS and nothing else', () => {
    const fake = reader({});
    readSettings(fake);
    assert.deepEqual([...fake.asked].sort(), [...SETTING_KEYS].sort());
  });

  it('lets the folder beat the workspace and the workspace beat the user for normal settings', () => {
    const settings = readSettings(
      reader({
        [agentChainSettingKey('reviewer')]: { globalValue: ['openai'], workspaceValue: ['anthropic', 'gemini'] },
        [agentChainSettingKey('fixer')]: { globalValue: ['deepseek'] },
        strategy: { globalValue: 'cost', workspaceValue: 'latency', workspaceFolderValue: 'capability' },
        localFirst: { workspaceValue: false },
      }),
    );
    assert.deepEqual(settings.config.agents, { reviewer: { chain: ['anthropic', 'gemini'] }, fixer: { chain: ['deepseek'] } });
    assert.equal(settings.config.strategy, 'capability');
    assert.equal(settings.config.localFirst, false);
    assert.deepEqual(settings.problems, []);
  });

  it('reads budgets, the ledger, the config file and the local server URL from the user settings only', () => {
    const settings = readSettings(
      reader({
        'budget.dailyUsd': { globalValue: 5, workspaceValue: 500 },
        'budget.monthlyUsd': { workspaceValue: 10_000 },
        'budget.onExceed': { globalValue: 'block', workspaceFolderValue: 'warn' },
        'ledger.storeInstructions': { workspaceValue: true },
        configFile: { globalValue: '/home/me/router.yaml', workspaceValue: '/tmp/evil.yaml' },
        'localServer.baseUrl': { workspaceValue: 'http://attacker.example/v1' },
      }),
    );
    assert.deepEqual(settings.config.budget, { daily: 5, onExceed: 'block' });
    assert.equal(settings.config.ledger, undefined);
    assert.equal(settings.configFile, '/home/me/router.yaml');
    assert.equal(settings.localBaseUrl, undefined);
    // Each workspace value is reported, naming the setting and where it was set.
    assert.match(problemAbout(settings.problems, 'budget.dailyUsd'), /workspace settings is ignored: only your user settings/);
    assert.match(problemAbout(settings.problems, 'budget.onExceed'), /folder settings is ignored/);
    for (const key of ['budget.monthlyUsd', 'ledger.storeInstructions', 'configFile', 'localServer.baseUrl']) problemAbout(settings.problems, key);
    assert.equal(settings.problems.length, 6);
  });

  it('ignores a workspace or folder value of every setting off the allow-list, models per provider included', () => {
    // A valid value for each user-only setting, as a cloned repository's .vscode/settings.json could write it.
    const valid: Record<string, unknown> = {
      'budget.dailyUsd': 1000,
      'budget.monthlyUsd': 1000,
      'budget.onExceed': 'warn',
      'budget.timeZone': 'UTC',
      'ledger.storeInstructions': true,
      'ledger.retentionDays': 1,
      configFile: '/tmp/evil.yaml',
      'localServer.baseUrl': 'http://attacker.example/v1',
      // A repository must not make your machine run model-written code, nor choose the program that runs it.
      'verify.run': 'on',
      'verify.cascade': true,
      'verify.maxEscalations': 2,
      'verify.python': './tools/evil-python',
      // Nor keep answers on disk for longer, or share them between trusted and untrusted workspaces.
      'cache.enabled': true,
      'cache.ttlHours': 8760,
      ...Object.fromEntries(BUILTIN_PROVIDER_IDS.map((id) => [`models.${id}`, { light: 'unpriced-model-9' }])),
      // A repository must not throttle (or un-throttle) how fast your account is called.
      ...Object.fromEntries(BUILTIN_PROVIDER_IDS.map((id) => [`minIntervalMs.${id}`, 60_000])),
      // Nor loosen (or tighten) what Gemini's safety filter blocks.
      'safety.gemini': 'block_none',
      // Nor send your traffic (and money) elsewhere by weight.
      ...Object.fromEntries(BUILTIN_PROVIDER_IDS.map((id) => [`weights.${id}`, 1000])),
    };
    assert.deepEqual(Object.keys(valid).sort(), [...USER_ONLY_SETTING_KEYS].sort(), 'a value for each user-only setting');
    for (const scope of ['workspaceValue', 'workspaceFolderValue'] as const) {
      const settings = readSettings(reader(Object.fromEntries(Object.entries(valid).map(([key, value]) => [key, { [scope]: value }]))));
      assert.deepEqual(settings.config, {}, scope);
      assert.equal(settings.configFile, undefined);
      assert.equal(settings.localBaseUrl, undefined);
      assert.equal(settings.verifyRun, 'ask', 'checks still need the user\'s yes');
      for (const key of USER_ONLY_SETTING_KEYS) assert.match(problemAbout(settings.problems, key), /is ignored: only your user settings may set it/);
    }
    // The same values in the user settings apply.
    const mine = readSettings(reader({ 'models.anthropic': user({ heavy: 'claude-opus-5' }) }));
    assert.deepEqual(mine.config.providers, { anthropic: { models: { heavy: 'claude-opus-5' } } });
    const both = readSettings(reader({ 'models.openai': { globalValue: { light: 'gpt-6-luna' }, workspaceValue: { light: 'gpt-99' } } }));
    assert.deepEqual(both.config.providers, { openai: { models: { light: 'gpt-6-luna' } } });
    const interval = readSettings(reader({ 'minIntervalMs.gemini': user(1500), 'minIntervalMs.openai': user(null) }));
    assert.deepEqual(interval.config.providers, { gemini: { minIntervalMs: 1500 } });
    const safety = readSettings(reader({ 'safety.gemini': user('default'), 'minIntervalMs.gemini': user(1500) }));
    assert.deepEqual(safety.config.providers, { gemini: { minIntervalMs: 1500, safety: 'default' } });
    assert.equal(readSettings(reader({ 'safety.gemini': user('auto') })).config.providers, undefined, 'auto sets nothing');
    const weights = readSettings(reader({ 'weights.openai': user(2.5), 'weights.local': user(null), 'weights.gemini': user(-1) }));
    assert.deepEqual(weights.config.providers, { openai: { weight: 2.5 } });
    assert.match(problemAbout(weights.problems, 'weights.gemini'), /must be a number from 0 to 1000/);
    const wrong = readSettings(reader({ 'minIntervalMs.gemini': user(-5) }));
    assert.equal(wrong.config.providers, undefined);
    assert.match(problemAbout(wrong.problems, 'minIntervalMs.gemini'), /whole number from 0 to 3600000/);
  });

  it('reads the answer cache settings from the user settings, and reports a TTL out of range', () => {
    const settings = readSettings(reader({ 'cache.enabled': user(false), 'cache.ttlHours': user(0.5) }));
    assert.deepEqual(settings.config.cache, { enabled: false, ttlHours: 0.5 });
    const bad = readSettings(reader({ 'cache.ttlHours': user(0) }));
    assert.equal(bad.config.cache, undefined);
    assert.match(problemAbout(bad.problems, 'cache.ttlHours'), /greater than 0 and at most 8760/);
  });

  it('treats a null budget or time zone as "not set"', () => {
    const settings = readSettings(
      reader({ 'budget.dailyUsd': user(null), 'budget.monthlyUsd': user(30), 'budget.timeZone': user(null) }),
    );
    assert.deepEqual(settings.config.budget, { monthly: 30 });
    assert.deepEqual(settings.problems, []);
  });

  it('drops invalid values with a problem naming the setting, the value and what to do; never throws', () => {
    const settings = readSettings(
      reader({
        strategy: user('fastest'),
        preset: user('cheap'),
        'tiers.lightMax': user(2.5),
        'tiers.mediumMax': user(12),
        localFirst: user('yes'),
        escalateAfterFailures: user(-1),
        'budget.dailyUsd': user(-5),
        'budget.monthlyUsd': user(0),
        'budget.onExceed': user('panic'),
        'budget.timeZone': user('Mars/Olympus_Mons'),
        'ledger.retentionDays': user(0),
        'log.level': user('verbose'),
        [agentChainSettingKey('implementer')]: user(['anthropic', 'antropic']),
        [agentChainSettingKey('tester')]: user([]),
        [agentChainSettingKey('architect')]: user('openai'),
        'models.openai': user({ heavy: '', huge: 'gpt-x' }),
        configFile: user('relative/config.yaml'),
      }),
    );
    assert.deepEqual(settings.config, {});
    assert.equal(settings.preset, undefined);
    assert.equal(settings.configFile, undefined);
    assert.equal(settings.logLevel, 'info');
    assert.match(problemAbout(settings.problems, 'strategy'), /"fastest", which is not a strategy \(fallback, cost, capability, load-balance, latency\)/);
    assert.match(problemAbout(settings.problems, 'preset'), /"cheap".*using no preset/);
    assert.match(problemAbout(settings.problems, 'tiers.lightMax'), /2\.5, but must be a whole number from 1 to 8.*1 <= lightMax < mediumMax <= 9/);
    assert.match(problemAbout(settings.problems, 'tiers.mediumMax'), /12, but must be a whole number from 2 to 9/);
    assert.match(problemAbout(settings.problems, 'localFirst'), /"yes", not true or false/);
    assert.match(problemAbout(settings.problems, 'escalateAfterFailures'), /-1/);
    assert.match(problemAbout(settings.problems, 'budget.dailyUsd'), /-5, but must be an amount in USD greater than 0.*leave it empty for no limit/);
    assert.match(problemAbout(settings.problems, 'budget.monthlyUsd'), /is 0, but must be/);
    assert.match(problemAbout(settings.problems, 'budget.onExceed'), /"panic"/);
    assert.match(problemAbout(settings.problems, 'budget.timeZone'), /not an IANA time zone.*Europe\/Berlin/);
    assert.match(problemAbout(settings.problems, 'ledger.retentionDays'), /from 1 to 36500/);
    assert.match(problemAbout(settings.problems, 'log.level'), /"verbose".*using info/);
    assert.match(problemAbout(settings.problems, 'agents.implementer'), /"antropic" \(did you mean "anthropic"\?\).*agents\.implementer\.chain/);
    assert.match(problemAbout(settings.problems, 'agents.tester'), /empty list/);
    assert.match(problemAbout(settings.problems, 'agents.architect'), /not a list of provider ids/);
    assert.match(problemAbout(settings.problems, 'models.openai'), /heavy is "", not a model id; "huge" is not a tier/);
    assert.match(problemAbout(settings.problems, 'configFile'), /relative path/);
    assert.equal(settings.problems.length, 17);
    for (const problem of settings.problems) assert.match(problem, /^modelRouter\.\S+ .*; using .+\./);
  });

  it('falls back to the next scope when the nearer value is invalid, and says so', () => {
    const settings = readSettings(reader({ strategy: { workspaceValue: 'fastest', globalValue: 'cost' } }));
    assert.equal(settings.config.strategy, 'cost');
    assert.match(problemAbout(settings.problems, 'strategy'), /in your workspace settings .*; using the value in your user settings\./);
  });

  it('drops both tier thresholds when lightMax is not below mediumMax', () => {
    const settings = readSettings(reader({ 'tiers.lightMax': user(6), 'tiers.mediumMax': user(5) }));
    assert.equal(settings.config.tiers, undefined);
    assert.match(problemAbout(settings.problems, 'tiers.lightMax'), /\(6\) must be below modelRouter\.tiers\.mediumMax \(5\)/);
    const valid = readSettings(reader({ 'tiers.lightMax': user(2), 'tiers.mediumMax': user(7) }));
    assert.deepEqual(valid.config.tiers, { light: 2, medium: 7 });
  });

  it('keeps valid values as the core expects them', () => {
    const settings = readSettings(
      reader({
        'budget.dailyUsd': user(2.5),
        'budget.timeZone': user(' Europe/Berlin '),
        'ledger.storeInstructions': user(true),
        'ledger.retentionDays': user(30),
        escalateAfterFailures: user(0),
        [agentChainSettingKey('implementer')]: user(['deepseek', 'deepseek', 'local']),
        'models.anthropic': user({ heavy: ' claude-next ' }),
        'models.local': user({}),
        'log.level': { workspaceValue: 'debug' },
      }),
    );
    assert.deepEqual(settings.problems, []);
    assert.deepEqual(settings.config, {
      escalateAfterFailures: 0,
      budget: { daily: 2.5, timeZone: 'Europe/Berlin' },
      ledger: { storeInstructions: true, retentionDays: 30 },
      providers: { anthropic: { models: { heavy: 'claude-next' } } },
      agents: { implementer: { chain: ['deepseek', 'local'] } },
    });
    assert.equal(settings.logLevel, 'debug');
    const { config, diagnostics } = resolveConfig({ workspaceTrusted: true, settings: settings.config });
    assert.deepEqual(diagnostics, []);
    assert.equal(config.budget.dailyUsd, 2.5);
    assert.equal(config.providers.anthropic!.models.heavy, 'claude-next');
    assert.equal(config.providers.anthropic!.models.light, DEFAULT_CONFIG.providers.anthropic!.models.light);
    assert.deepEqual(config.agents.implementer.chain, ['deepseek', 'local']);
  });

  it('expands a leading ~ in the config file path; an empty path is the default', () => {
    assert.equal(readSettings(reader({ configFile: user('~/cfg/router.yaml') })).configFile, join(homedir(), 'cfg/router.yaml'));
    assert.equal(readSettings(reader({ configFile: user('  ') })).configFile, undefined);
  });

  it('accepts only http(s) URLs without credentials for the local server', () => {
    assert.equal(readSettings(reader({ 'localServer.baseUrl': user('http://127.0.0.1:1234/v1') })).localBaseUrl, 'http://127.0.0.1:1234/v1');
    assert.equal(readSettings(reader({ 'localServer.baseUrl': user('') })).localBaseUrl, undefined);
    for (const [url, why] of [
      ['file:///etc/passwd', /only http:\/\/ and https:\/\/ URLs/],
      ['ftp://localhost/v1', /only http:\/\/ and https:\/\//],
      ['localhost:11434', /only http:\/\/ and https:\/\/|not a URL/],
      ['not a url', /not a URL/],
      ['http://user:secret@localhost:11434/v1', /no credentials/],
    ] as const) {
      const settings = readSettings(reader({ 'localServer.baseUrl': user(url) }));
      assert.equal(settings.localBaseUrl, undefined, url);
      assert.match(problemAbout(settings.problems, 'localServer.baseUrl'), why);
      assert.doesNotMatch(settings.problems.join(' '), /secret/);
    }
  });

  it('survives a reader that throws', () => {
    const settings = readSettings({
      inspect(): never {
        throw new Error('configuration service gone');
      },
    });
    assert.deepEqual(settings.config, {});
    assert.equal(settings.problems.length, SETTING_KEYS.length);
    assert.match(settings.problems[0]!, /could not be read \(configuration service gone\)/);
  });

  it('repeats the core constants it cannot import at activation time', () => {
    // Its own time zone check agrees with the core's.
    for (const zone of ['UTC', 'Europe/Berlin', 'America/New_York', 'Mars/Olympus_Mons', 'Europe/Berln']) {
      const settings = readSettings(reader({ 'budget.timeZone': user(zone) }));
      assert.equal(settings.config.budget?.timeZone === zone, isValidTimeZone(zone), zone);
    }
  });
});

describe('settings bridge: presets', () => {
  const YAML = 'agents:\n  explainer:\n    chain: [anthropic]\n  reviewer:\n    chain: [gemini, openai]\n';

  function resolveWith(layer: PartialConfigFromSettings, userText = YAML): ConfigResolution {
    return resolveConfig({ workspaceTrusted: true, user: { file: 'user.yaml', text: userText }, settings: layer });
  }

  it('leaves the settings layer alone without a preset (or with "none")', () => {
    for (const preset of [undefined, 'none']) {
      const settings = readSettings(reader(preset === undefined ? {} : { preset: user(preset) }));
      assert.equal(settings.preset, undefined);
      let calls = 0;
      const resolution = resolveWithSettings(settings, (layer) => (calls++, resolveWith(layer)), assign);
      assert.equal(calls, 1);
      assert.deepEqual(resolution.config.agents.explainer.chain, ['anthropic']);
    }
  });

  it('layers YAML chains < preset < an explicit per-agent setting', () => {
    const settings = readSettings(
      reader({ preset: { workspaceValue: 'cost' }, [agentChainSettingKey('reviewer')]: user(['anthropic', 'openai']) }),
    );
    assert.equal(settings.preset, 'cost');
    const layers: PartialConfigFromSettings[] = [];
    const { config, diagnostics } = resolveWithSettings(settings, (layer) => (layers.push(layer), resolveWith(layer)), assign);
    assert.deepEqual(diagnostics, []);
    assert.equal(layers.length, 2);
    assert.deepEqual(layers[0], settings.config); // first pass: without the preset
    const expected = presetAssignments(resolveWith(settings.config).config, 'cost', { now: NOW });
    // The preset beats the YAML's explainer chain ...
    assert.deepEqual(config.agents.explainer.chain, expected.explainer.chain);
    assert.notDeepEqual(config.agents.explainer.chain, ['anthropic']);
    assert.match(config.agents.explainer.reasoning, /^Cost-optimized preset/);
    // ... and the explicit reviewer setting beats the preset.
    assert.deepEqual(config.agents.reviewer.chain, ['anthropic', 'openai']);
    assert.match(config.agents.reviewer.reasoning, /Set in your settings/);
    for (const id of AGENT_IDS.filter((agent) => agent !== 'reviewer')) assert.deepEqual(config.agents[id].chain, expected[id].chain, id);
  });

  it('computes the preset from the resolved configuration (a provider disabled in the YAML stays out)', () => {
    const settings = readSettings(reader({ preset: user('performance') }));
    const layer = settingsLayerWithPreset(
      settings,
      resolveWith(settings.config, 'providers:\n  openai:\n    enabled: false\n').config,
      assign,
    );
    for (const id of AGENT_IDS) {
      assert.ok(!layer.agents?.[id]?.chain?.includes('openai'), id);
      assert.match(layer.agents?.[id]?.reasoning ?? '', /^Performance-optimized preset/);
    }
    const none = readSettings(reader({}));
    assert.equal(settingsLayerWithPreset(none, DEFAULT_CONFIG, assign), none.config);
  });
});
