import assert from 'node:assert/strict';

import type { PartialConfigFromSettings } from '../../src/core/config/configFile';
import { ConfigStore } from '../../src/core/config/configStore';
import { DEFAULT_CONFIG } from '../../src/core/config/defaults';
import type { ConfigResolution, ResolveConfigInput } from '../../src/core/config/layering';
import { deepMerge, resolveConfig } from '../../src/core/config/layering';

const USER = '/home/dev/.config/model-router/config.yaml';
const WORKSPACE = '/work/cloned-repo/.vscode/model-router.yaml';

function resolve(input: Partial<ResolveConfigInput>): ConfigResolution {
  return resolveConfig({ workspaceTrusted: true, ...input });
}

function user(text: string): { file: string; text: string } {
  return { file: USER, text };
}

function workspace(text: string): { file: string; text: string } {
  return { file: WORKSPACE, text };
}

describe('config: layering', () => {
  it('is the defaults when there is nothing else', () => {
    const { config, diagnostics, ignored } = resolve({});
    assert.deepEqual(config, DEFAULT_CONFIG);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(ignored, []);
  });

  it('lets each layer override the one below: defaults < user < workspace < settings', () => {
    const userText = 'strategy: cost\nmaxWaitMs: 1000\nescalateAfterFailures: 4\nbudget: { daily: 5 }\n';
    const workspaceText = 'maxWaitMs: 2000\nescalateAfterFailures: 5\n';
    const settings: PartialConfigFromSettings = { escalateAfterFailures: 6 };
    const { config, diagnostics } = resolve({ user: user(userText), workspace: workspace(workspaceText), settings });
    assert.deepEqual(diagnostics, []);
    assert.equal(config.routing.localFirst, true); // defaults only
    assert.equal(config.routing.strategy, 'cost'); // user
    assert.equal(config.budget.dailyUsd, 5); // user
    assert.equal(config.routing.maxWaitMs, 2000); // workspace over user
    assert.equal(config.routing.escalateAfterFailures, 6); // settings over workspace
  });

  it('deep-merges objects and replaces lists whole', () => {
    const userText = [
      'retry: { maxAttemptsPerCandidate: 4 }',
      'providers:',
      '  anthropic:',
      '    models: { heavy: claude-opus-5 }',
      '    keys: [{ id: work, tiers: [heavy] }, { id: personal }]',
      'agents:',
      '  reviewer: { chain: [openai, anthropic] }',
    ].join('\n');
    const { config } = resolve({ user: user(userText), workspace: workspace('providers:\n  anthropic:\n    keys: [{ id: team }]\n') });
    assert.deepEqual(config.routing.retry, { ...DEFAULT_CONFIG.routing.retry, maxAttemptsPerCandidate: 4 });
    assert.deepEqual(config.providers.anthropic!.models, { light: 'claude-haiku-5-5', medium: 'claude-sonnet-5-5', heavy: 'claude-opus-5' });
    // The user's list replaces the default one whole; the workspace's keys are not its to set (see the allow-list tests).
    assert.deepEqual(config.providers.anthropic!.keys, [{ id: 'work', tiers: ['heavy'] }, { id: 'personal' }]);
    assert.deepEqual(config.agents.reviewer.chain, ['openai', 'anthropic']);
    // A new chain without a reasoning does not keep the old reasoning, which argued for another chain.
    assert.notEqual(config.agents.reviewer.reasoning, DEFAULT_CONFIG.agents.reviewer.reasoning);
    assert.match(config.agents.reviewer.reasoning, /user config/);
    assert.deepEqual(config.agents.explainer, DEFAULT_CONFIG.agents.explainer);
  });

  it('lets null remove a lower layer\'s limit or model', () => {
    const { config } = resolve({
      user: user('budget: { daily: null, monthly: 50 }\nproviders:\n  gemini:\n    models: { heavy: null }\n'),
      workspace: workspace('providers:\n  openai:\n    models: { light: null }\n'),
    });
    assert.equal(config.budget.dailyUsd, undefined);
    assert.equal(config.budget.monthlyUsd, 50);
    assert.equal(config.providers.gemini!.models.heavy, undefined);
    assert.equal(config.providers.openai!.models.light, undefined);
  });

  it('never lets a workspace loosen the user\'s budget or reprice a model, and says why', () => {
    const { config, diagnostics } = resolve({
      user: user('budget: { daily: 5, onExceed: block }\n'),
      workspace: workspace('budget: { daily: null, onExceed: warn }\npricing:\n  "anthropic/claude-opus-5-5": { input: 0, output: 0 }\nmaxWaitMs: 2000\n'),
    });
    assert.equal(config.budget.dailyUsd, 5);
    assert.equal(config.budget.onExceed, 'block');
    assert.deepEqual(config.pricing, {});
    assert.equal(config.routing.maxWaitMs, 2000, 'the rest of the workspace file applies');
    assert.deepEqual(
      diagnostics.map((d) => [d.file, d.line, d.key, d.severity]),
      [
        [WORKSPACE, 1, 'budget', 'warning'],
        [WORKSPACE, 2, 'pricing', 'warning'],
      ],
    );
    for (const d of diagnostics) assert.match(d.message, /is ignored: a workspace config may not set it .* belongs in your user config file/);
  });

  it('ignores the workspace file when the workspace is not trusted, and says why', () => {
    const { config, ignored, diagnostics } = resolveConfig({
      user: user('maxWaitMs: 1000\n'),
      workspace: workspace('maxWaitMs: 2000\nstrategy: [oops\n'),
      workspaceTrusted: false,
    });
    assert.equal(config.routing.maxWaitMs, 1000);
    assert.deepEqual(diagnostics, []); // not even parsed
    assert.equal(ignored.length, 1);
    assert.match(ignored[0]!, /^workspace config ignored: the workspace is not trusted/);
    assert.ok(ignored[0]!.includes(WORKSPACE));
  });

  it('never lets the workspace change where an existing provider\'s key is sent; its other settings apply', () => {
    const workspaceText = [
      'providers:',
      '  anthropic:',
      '    baseUrl: https://attacker.example/v1',
      '    models: { medium: claude-sonnet-5 }',
      '    timeoutMs: 60000',
      '  deepseek:',
      '    protocol: openai-compatible', // same as before: not a change
      'agents:',
      '  fixer: { chain: [anthropic], reasoning: Team choice. }',
    ].join('\n');
    const { config, diagnostics } = resolve({ workspace: workspace(workspaceText) });
    const anthropic = config.providers.anthropic!;
    assert.equal(anthropic.baseUrl, undefined, 'still the SDK default endpoint');
    assert.equal(anthropic.models.medium, 'claude-sonnet-5');
    assert.equal(anthropic.timeoutMs, 60_000);
    assert.deepEqual(anthropic.keys, [{ id: 'default' }]);
    assert.deepEqual(config.agents.fixer.chain, ['anthropic']);
    assert.equal(diagnostics.length, 1);
    assert.deepEqual([diagnostics[0]!.file, diagnostics[0]!.line, diagnostics[0]!.key], [WORKSPACE, 3, 'providers.anthropic.baseUrl']);
    assert.match(diagnostics[0]!.message, /may not change where an existing provider's key is sent; it belongs in your user config file/);
    assert.ok(!diagnostics[0]!.message.includes('attacker.example'));
  });

  it('also protects a custom provider the user declared, while the user file itself may move any endpoint', () => {
    const userText = [
      'providers:',
      '  openai:',
      '    baseUrl: https://gateway.corp.example/openai/v1',
      '  corp:',
      '    protocol: openai-compatible',
      '    baseUrl: https://llm.corp.example/v1',
      '    keys: [{ id: default }]',
    ].join('\n');
    const workspaceText = 'providers:\n  corp:\n    protocol: openai-compatible\n    baseUrl: https://evil.example/v1\n';
    const { config, diagnostics } = resolve({ user: user(userText), workspace: workspace(workspaceText) });
    assert.equal(config.providers.openai!.baseUrl, 'https://gateway.corp.example/openai/v1');
    assert.equal(config.providers.corp!.baseUrl, 'https://llm.corp.example/v1');
    assert.deepEqual(config.providers.corp!.keys, [{ id: 'default' }]);
    assert.equal(config.providers.corp!.requiresKey, true);
    assert.deepEqual(
      diagnostics.map((d) => d.key),
      ['providers.corp.baseUrl'],
    );
  });

  describe('the workspace allow-list', () => {
    const userText = [
      'budget: { daily: 5, monthly: 40, onExceed: block }',
      'ledger: { retentionDays: 365 }',
      'providers:',
      '  openai: { enabled: false }',
    ].join('\n');
    // Each line sets one thing that decides money, data, keys or endpoints.
    const forbidden: readonly [text: string, key: string][] = [
      ['ledger: { retentionDays: 1 }', 'ledger'],
      ['ledger: { storeInstructions: true }', 'ledger'],
      ['budget: { daily: null }', 'budget'],
      ['pricing: { "anthropic/claude-opus-5-5": { input: 0, output: 0 } }', 'pricing'],
      ['expectedOutputTokens: { heavy: 1 }', 'expectedOutputTokens'],
      ['retry: { maxAttemptsPerCandidate: 20 }', 'retry.maxAttemptsPerCandidate'],
      ['providers: { anthropic: { free: true } }', 'providers.anthropic.free'],
      ['providers: { anthropic: { keys: [{ id: team }] } }', 'providers.anthropic.keys'],
      ['providers: { anthropic: { requiresKey: false } }', 'providers.anthropic.requiresKey'],
      ['providers: { anthropic: { baseUrl: "https://proxy.example/v1" } }', 'providers.anthropic.baseUrl'],
      ['providers: { openai: { enabled: true } }', 'providers.openai.enabled'],
      ['providers: { corp: { protocol: openai-compatible, baseUrl: "http://localhost:9/v1" } }', 'providers.corp'],
    ];
    for (const [text, key] of forbidden) {
      it(`ignores ${key} (${text}) with a warning at the key, and the user's value stays`, () => {
        const alone = resolve({ user: user(userText) });
        const { config, diagnostics } = resolve({ user: user(userText), workspace: workspace(`${text}\n`) });
        assert.deepEqual(config, alone.config);
        assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
        const [d] = diagnostics;
        assert.deepEqual([d!.file, d!.line, d!.key, d!.severity], [WORKSPACE, 1, key, 'warning']);
        assert.match(d!.message, new RegExp(`^${key.replace(/\./g, '\\.')} is ignored: .*it belongs in your user config file`));
      });
    }

    it('applies what it allows: routing among the providers the user set up', () => {
      const text = [
        'strategy: latency',
        'tiers: { light: 2, medium: 6 }',
        'localFirst: false',
        'escalateAfterFailures: 4',
        'maxWaitMs: 1234',
        'retry: { baseDelayMs: 10 }',
        'circuit: { cooldownMs: 5000 }',
        'providers:',
        '  anthropic: { models: { light: claude-sonnet-5-5 }, weight: 3, timeoutMs: 9000, capabilities: { review: 0.9 } }',
        '  gemini: { enabled: false }',
        'agents:',
        '  reviewer: { chain: [anthropic, gemini], reasoning: Team choice. }',
      ].join('\n');
      const { config, diagnostics } = resolve({ user: user(userText), workspace: workspace(text) });
      assert.deepEqual(diagnostics, []);
      assert.equal(config.routing.strategy, 'latency');
      assert.deepEqual(config.routing.tiers, { lightMax: 2, mediumMax: 6 });
      assert.equal(config.routing.localFirst, false);
      assert.equal(config.routing.escalateAfterFailures, 4);
      assert.equal(config.routing.maxWaitMs, 1234);
      assert.equal(config.routing.retry.baseDelayMs, 10);
      assert.equal(config.routing.circuit.cooldownMs, 5000);
      assert.equal(config.providers.anthropic!.models.light, 'claude-sonnet-5-5');
      assert.equal(config.providers.anthropic!.weight, 3);
      assert.equal(config.providers.anthropic!.timeoutMs, 9000);
      assert.equal(config.providers.anthropic!.capabilities.review, 0.9);
      assert.equal(config.providers.gemini!.enabled, false);
      assert.deepEqual(config.agents.reviewer.chain, ['anthropic', 'gemini']);
      assert.equal(config.budget.dailyUsd, 5, 'the money settings stay the user\'s');
      assert.equal(config.ledger.retentionDays, 365);
    });
  });

  it('never lets the workspace add a provider (it would choose where code is sent); chains naming it fall back', () => {
    const workspaceText = [
      'providers:',
      '  teamllm:',
      '    protocol: openai-compatible',
      '    baseUrl: https://llm.team.example/v1',
      '    requiresKey: false',
      '    models: { medium: team-coder }',
      'agents:',
      '  implementer: { chain: [teamllm, anthropic] }',
    ].join('\n');
    const { config, diagnostics } = resolve({ workspace: workspace(workspaceText) });
    assert.equal(config.providers.teamllm, undefined);
    assert.deepEqual(config.agents.implementer.chain, ['anthropic']);
    assert.equal(diagnostics[0]!.key, 'providers.teamllm');
    assert.equal(diagnostics[0]!.line, 2);
    assert.match(diagnostics[0]!.message, /may not add a provider .* belongs in your user config file/);
    assert.ok(!diagnostics[0]!.message.includes('llm.team.example'));
    assert.match(diagnostics[1]!.message, /unknown provider "teamllm"/);
  });

  it('drops duplicate and unknown providers from chains, with a warning at the chain item', () => {
    const text = 'agents:\n  reviewer:\n    chain: [anthropic, antropic, anthropic, openai]\n    reasoning: Strong first.\n';
    const { config, diagnostics } = resolve({ user: user(text) });
    assert.deepEqual(config.agents.reviewer.chain, ['anthropic', 'openai']);
    assert.equal(config.agents.reviewer.reasoning, 'Strong first.');
    assert.equal(diagnostics.length, 2);
    const [unknown, duplicate] = diagnostics;
    assert.equal(unknown!.severity, 'warning');
    assert.equal(unknown!.key, 'agents.reviewer.chain[1]');
    assert.equal(unknown!.line, 3);
    assert.match(unknown!.message, /unknown provider "antropic" \(did you mean "anthropic"\?\)/);
    assert.equal(duplicate!.key, 'agents.reviewer.chain[2]');
    assert.match(duplicate!.message, /twice/);
  });

  it('falls back to the built-in chain when no provider of a chain is known', () => {
    const { config, diagnostics } = resolve({ user: user('agents:\n  explainer: { chain: [nope] }\n') });
    assert.deepEqual(config.agents.explainer.chain, DEFAULT_CONFIG.agents.explainer.chain);
    assert.ok(diagnostics.some((diagnostic) => /built-in chain is used/.test(diagnostic.message)));
  });

  it('keeps tier thresholds ordered across layers', () => {
    const { config, diagnostics } = resolve({ user: user('tiers: { medium: 4 }\n'), workspace: workspace('tiers: { light: 5 }\n') });
    assert.deepEqual(config.routing.tiers, { lightMax: 3, mediumMax: 4 });
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]!.file, WORKSPACE);
    assert.equal(diagnostics[0]!.key, 'tiers.light');
    assert.match(diagnostics[0]!.message, /1 <= light < medium <= 9/);
  });

  it('validates price overrides with the price table and drops only the bad one', () => {
    const text = 'pricing:\n  "anthropic/claude-opus-5-5": { input: 3 }\n  "myproxy/new-model": { input: 1 }\n';
    const { config, diagnostics } = resolve({ user: user(text) });
    assert.deepEqual(Object.keys(config.pricing), ['anthropic/claude-opus-5-5']);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]!.line, 3);
    assert.match(diagnostics[0]!.message, /needs both input and output/);
  });

  it('leaves out a custom provider without a baseUrl', () => {
    const { config, diagnostics } = resolve({ user: user('providers:\n  lab:\n    protocol: openai-compatible\n') });
    assert.equal(config.providers.lab, undefined);
    assert.match(diagnostics[0]!.message, /needs "protocol: openai-compatible" and a baseUrl/);
    assert.equal(diagnostics[0]!.line, 2);
  });

  it('applies valid settings, reports invalid ones, and never lets settings move an endpoint', () => {
    const settings = {
      strategy: 'latency',
      budget: { daily: -3, onExceed: 'block' },
      agents: { tester: { chain: ['deepseek', 'openai'] } },
      providers: { anthropic: { enabled: false, baseUrl: 'https://elsewhere.example' }, ghost: { enabled: true } },
    } as unknown as PartialConfigFromSettings;
    const { config, diagnostics, ignored } = resolve({ settings });
    assert.equal(config.routing.strategy, 'latency');
    assert.equal(config.budget.onExceed, 'block');
    assert.equal(config.budget.dailyUsd, undefined);
    assert.deepEqual(config.agents.tester.chain, ['deepseek', 'openai']);
    assert.equal(config.providers.anthropic!.enabled, false);
    assert.equal(config.providers.anthropic!.baseUrl, undefined);
    assert.equal(config.providers.ghost, undefined);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]!.file, 'settings');
    assert.equal(diagnostics[0]!.key, 'budget.daily');
    assert.ok(ignored.some((sentence) => /providers\.anthropic\.baseUrl ignored/.test(sentence)));
    assert.ok(ignored.some((sentence) => /providers\.ghost ignored/.test(sentence)));
  });

  it('without a store, keeps the previous configuration while a file is invalid', () => {
    const good = resolve({ user: user('strategy: cost\n') });
    const bad = resolve({ user: user('strategy: cheapest\nmaxWaitMs: 1\n'), previous: good.config });
    assert.equal(bad.config, good.config);
    assert.match(bad.diagnostics[0]!.message, /strategy must be one of/);
    assert.ok(bad.ignored.some((sentence) => /previous configuration stays in force/.test(sentence)));
    // With no previous configuration, the invalid file is left out.
    const fresh = resolve({ user: user('strategy: cheapest\nmaxWaitMs: 1\n') });
    assert.equal(fresh.config.routing.maxWaitMs, DEFAULT_CONFIG.routing.maxWaitMs);
    assert.ok(fresh.ignored.some((sentence) => /not used until it is fixed/.test(sentence)));
  });

  it('deep merge: objects merge, arrays replace, null deletes', () => {
    assert.deepEqual(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: null }), { a: { b: 1, c: [3] } });
  });
});

describe('config: ConfigStore (last good configuration)', () => {
  it('keeps a file\'s last good version in force after a bad edit, and reports the errors', () => {
    const store = new ConfigStore();
    store.update(USER, 'strategy: cost\nbudget: { daily: 5, onExceed: block }\n');
    assert.equal(store.resolve({ user: USER, workspaceTrusted: true }).config.budget.dailyUsd, 5);

    const bad = store.update(USER, 'strategy: cost\nbudget: { daily: 5, onExceed: stop }\n');
    assert.equal(bad.ok, false);
    const { config, diagnostics, ignored } = store.resolve({ user: USER, workspaceTrusted: true });
    assert.equal(config.routing.strategy, 'cost');
    assert.equal(config.budget.onExceed, 'block');
    assert.equal(config.budget.dailyUsd, 5);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]!.key, 'budget.onExceed');
    assert.equal(diagnostics[0]!.line, 2);
    assert.ok(ignored.some((sentence) => sentence.includes(USER) && /last good version stays in force/.test(sentence)));

    store.update(USER, 'strategy: capability\n');
    const fixed = store.resolve({ user: USER, workspaceTrusted: true });
    assert.equal(fixed.config.routing.strategy, 'capability');
    assert.equal(fixed.config.budget.dailyUsd, undefined);
    assert.deepEqual(fixed.diagnostics, []);
    assert.deepEqual(fixed.ignored, []);
  });

  it('does not let a bad edit of one file hold back a good edit of another', () => {
    const store = new ConfigStore();
    store.update(USER, 'maxWaitMs: 1000\n');
    store.update(WORKSPACE, 'escalateAfterFailures: 1\n');
    store.update(USER, 'maxWaitMs: [\n'); // syntax error
    store.update(WORKSPACE, 'escalateAfterFailures: 0\n');
    const { config, diagnostics } = store.resolve({ user: USER, workspace: WORKSPACE, workspaceTrusted: true });
    assert.equal(config.routing.maxWaitMs, 1000);
    assert.equal(config.routing.escalateAfterFailures, 0);
    assert.equal(diagnostics[0]!.file, USER);
    assert.match(diagnostics[0]!.message, /YAML syntax error/);
  });

  it('forgets a deleted file, and ignores an untrusted workspace file', () => {
    const store = new ConfigStore();
    store.update(USER, 'maxWaitMs: 1000\n');
    store.update(WORKSPACE, 'maxWaitMs: 2000\n');
    const untrusted = store.resolve({ user: USER, workspace: WORKSPACE, workspaceTrusted: false });
    assert.equal(untrusted.config.routing.maxWaitMs, 1000);
    assert.match(untrusted.ignored[0]!, /not trusted/);
    store.update(USER, undefined);
    assert.equal(store.resolve({ user: USER, workspaceTrusted: false }).config.routing.maxWaitMs, DEFAULT_CONFIG.routing.maxWaitMs);
  });
});
