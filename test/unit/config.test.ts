import assert from 'node:assert/strict';

import { configToFile } from '../../src/core/config/convert';
import { AGENT_TASKS, DEFAULT_CONFIG } from '../../src/core/config/defaults';
import type { ConfigDiagnostic } from '../../src/core/config/diagnostics';
import { formatDiagnostic, formatKeyPath } from '../../src/core/config/diagnostics';
import { loadConfigText, MAX_CONFIG_FILE_BYTES, MAX_FILE_DIAGNOSTICS, validateConfigValue } from '../../src/core/config/load';
import { CONFIG_SCHEMA } from '../../src/core/config/schema';
import { AGENT_IDS, BUDGET_ACTIONS, STRATEGIES, TASK_TYPES, TIERS } from '../../src/core/config/types';
import { BUILTIN_TIER_MODELS } from '../../src/core/pricing/prices';
import { BUILTIN_PROVIDERS } from '../../src/core/providers/registry';
import { BUILTIN_PROVIDER_IDS } from '../../src/core/providers/types';

const FILE = '/home/dev/.config/model-router/config.yaml';

function errorsOf(text: string): ConfigDiagnostic[] {
  const result = loadConfigText(FILE, text);
  assert.equal(result.ok, false, 'expected the file to be rejected');
  return [...result.diagnostics];
}

function only(diagnostics: readonly ConfigDiagnostic[], key: string): ConfigDiagnostic {
  const found = diagnostics.filter((diagnostic) => diagnostic.key === key);
  assert.equal(found.length, 1, `expected one diagnostic for ${key}, got ${JSON.stringify(diagnostics, null, 2)}`);
  return found[0]!;
}

describe('config: defaults', () => {
  it('are valid against the committed schema, written as a file', () => {
    assert.deepEqual(validateConfigValue('defaults', configToFile(DEFAULT_CONFIG)), []);
  });

  it('define the five built-in providers with their tier models, protocols and endpoints', () => {
    assert.deepEqual(Object.keys(DEFAULT_CONFIG.providers), ['anthropic', 'openai', 'gemini', 'deepseek', 'local']);
    for (const id of BUILTIN_PROVIDER_IDS) {
      const provider = DEFAULT_CONFIG.providers[id]!;
      assert.deepEqual(provider.models, BUILTIN_TIER_MODELS[id]);
      assert.equal(provider.protocol, BUILTIN_PROVIDERS[id].protocol);
      assert.equal(provider.baseUrl, BUILTIN_PROVIDERS[id].baseUrl);
      assert.equal(provider.requiresKey, BUILTIN_PROVIDERS[id].requiresKey);
      // One `default` key entry for every provider that needs a key, none for the local server.
      assert.deepEqual(provider.keys, provider.requiresKey ? [{ id: 'default' }] : []);
      for (const task of TASK_TYPES) {
        const fit = provider.capabilities[task];
        assert.ok(fit !== undefined && fit >= 0 && fit <= 1, `${id}.${task}`);
      }
    }
    assert.equal(DEFAULT_CONFIG.providers.local!.free, true);
    assert.equal(DEFAULT_CONFIG.providers.deepseek!.baseUrl, 'https://api.deepseek.com/v1');
  });

  it('bind the eight agents to their commands, each with a chain of known providers and a reasoning', () => {
    assert.deepEqual(Object.keys(DEFAULT_CONFIG.agents).sort(), [...AGENT_IDS].sort());
    assert.deepEqual(DEFAULT_CONFIG.agents.explainer.chain, ['local', 'gemini', 'openai', 'anthropic']);
    for (const id of AGENT_IDS) {
      const agent = DEFAULT_CONFIG.agents[id];
      assert.deepEqual(agent.tasks, AGENT_TASKS[id]);
      assert.ok(agent.chain.length >= 3);
      assert.equal(new Set(agent.chain).size, agent.chain.length, `${id} has duplicates`);
      assert.ok(agent.chain.every((provider) => provider in DEFAULT_CONFIG.providers));
      assert.ok(agent.reasoning.length > 80, `${id} needs a real reasoning`);
    }
    assert.deepEqual(
      AGENT_IDS.map((id) => AGENT_TASKS[id][0]),
      ['implement', 'refactor', 'tests', 'review', 'explain', 'document', 'fix', 'ask'],
    );
  });

  it('carry the routing, budget and ledger defaults', () => {
    assert.deepEqual(DEFAULT_CONFIG.routing.tiers, { lightMax: 3, mediumMax: 6 });
    assert.equal(DEFAULT_CONFIG.routing.strategy, 'fallback');
    assert.equal(DEFAULT_CONFIG.routing.localFirst, true);
    assert.equal(DEFAULT_CONFIG.routing.escalateAfterFailures, 2);
    assert.equal(DEFAULT_CONFIG.routing.maxWaitMs, 10_000);
    assert.deepEqual(DEFAULT_CONFIG.routing.retry, { maxAttemptsPerCandidate: 2, baseDelayMs: 500, maxDelayMs: 8000, retryAfterCapMs: 60_000 });
    assert.deepEqual(DEFAULT_CONFIG.routing.circuit, {
      consecutiveFailures: 3,
      failureRate: 0.5,
      minRequests: 6,
      windowMs: 60_000,
      cooldownMs: 30_000,
    });
    assert.deepEqual(DEFAULT_CONFIG.budget, { onExceed: 'warn' });
    assert.deepEqual(DEFAULT_CONFIG.ledger, { storeInstructions: false, retentionDays: 90 });
    assert.ok(Object.isFrozen(DEFAULT_CONFIG.providers.anthropic!.models));
  });
});

describe('config: schema', () => {
  type Schema = { properties: Record<string, Schema>; definitions: Record<string, Schema>; enum?: unknown[]; items?: Schema };
  const schema = CONFIG_SCHEMA as unknown as Schema;

  it('names the same strategies, budget actions, agents, tasks and tiers as the types', () => {
    assert.deepEqual(schema.properties.strategy!.enum, [...STRATEGIES]);
    assert.deepEqual(schema.properties.budget!.properties.onExceed!.enum, [...BUDGET_ACTIONS]);
    assert.deepEqual(Object.keys(schema.properties.agents!.properties), [...AGENT_IDS]);
    assert.deepEqual(Object.keys(schema.definitions.provider!.properties.capabilities!.properties), [...TASK_TYPES]);
    assert.deepEqual(Object.keys(schema.definitions.provider!.properties.models!.properties), [...TIERS]);
    assert.deepEqual(schema.definitions.key!.properties.tiers!.items!.enum, [...TIERS]);
    assert.deepEqual(Object.keys(schema.properties.providers!.properties), [...BUILTIN_PROVIDER_IDS]);
  });

  it('describes every field, for completion in the editor', () => {
    const missing: string[] = [];
    const visit = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const record = node as Record<string, unknown>;
      for (const [name, child] of Object.entries((record.properties as Record<string, unknown> | undefined) ?? {})) {
        if (typeof (child as { description?: unknown }).description !== 'string') missing.push(`${path}.${name}`);
        visit(child, `${path}.${name}`);
      }
      for (const key of ['additionalProperties', 'items']) visit(record[key], `${path}.${key}`);
      for (const [name, child] of Object.entries((record.definitions as Record<string, unknown> | undefined) ?? {})) {
        visit(child, `#${name}`);
      }
    };
    visit(CONFIG_SCHEMA, '');
    assert.deepEqual(missing, []);
  });
});

describe('config: loading a YAML file', () => {
  it('accepts an empty file and a file with only comments', () => {
    assert.equal(loadConfigText(FILE, '').ok, true);
    assert.equal(loadConfigText(FILE, '# nothing yet\n').ok, true);
  });

  it('accepts a complete file in the documented format', () => {
    const text = [
      'version: 1',
      'strategy: capability',
      'tiers: { light: 2, medium: 7 }',
      'localFirst: false',
      'escalateAfterFailures: 3',
      'maxWaitMs: 5000',
      'retry: { maxAttemptsPerCandidate: 3, baseDelayMs: 250, maxDelayMs: 4000, retryAfterCapMs: 30000 }',
      'circuit: { consecutiveFailures: 5, failureRate: 0.4, minRequests: 10, windowMs: 120000, cooldownMs: 60000 }',
      'budget: { daily: 2.5, monthly: 40, onExceed: downgrade, timeZone: Europe/Berlin }',
      'pricing:',
      '  "openai/gpt-4.1": { input: 1.8, output: 7.2 }',
      '  lmstudio/qwen3-32b: { input: 0, output: 0 }',
      'ledger: { storeInstructions: true, retentionDays: 30 }',
      'providers:',
      '  anthropic:',
      '    keys:',
      '      - id: work',
      '        tiers: [heavy]',
      '        priority: 0',
      '        limits: { rpm: 50, tpm: 40000, rpd: 1000, minIntervalMs: 200 }',
      '      - { id: personal, priority: 1 }',
      '    capabilities: { review: 1 }',
      '    timeoutMs: 120000',
      '  lmstudio:',
      '    protocol: openai-compatible',
      '    label: LM Studio',
      '    baseUrl: http://localhost:1234/v1',
      '    models: { light: qwen3-8b, medium: qwen3-32b }',
      '    free: true',
      '    weight: 2',
      '    idleTimeoutMs: 60000',
      'agents:',
      '  reviewer: { chain: [anthropic, openai], reasoning: "Reviews need the strongest model." }',
    ].join('\n');
    const result = loadConfigText(FILE, text);
    assert.deepEqual(result.diagnostics, []);
    assert.equal(result.ok, true);
  });

  it('points a typo key at its file, line and column, with a "did you mean"', () => {
    const text = ['version: 1', 'agents:', '  explainer:', '    chain: [local, gemini]', '    reasonning: cheap is fine', ''].join('\n');
    const diagnostic = only(errorsOf(text), 'agents.explainer.reasonning');
    assert.equal(diagnostic.file, FILE);
    assert.equal(diagnostic.line, 5);
    assert.equal(diagnostic.column, 5);
    assert.match(diagnostic.message, /unknown key "reasonning" in agents\.explainer; did you mean "reasoning"\?/);
    assert.equal(formatDiagnostic(diagnostic).startsWith(`${FILE}:5:5: error: `), true);
  });

  it('suggests the nearest top-level key and the nearest built-in provider id', () => {
    const diagnostics = errorsOf('localfirst: true\nproviders:\n  antropic:\n    models: { heavy: claude-opus-5-5 }\n');
    assert.match(only(diagnostics, 'localfirst').message, /did you mean "localFirst"\?/);
    const provider = only(diagnostics, 'providers.antropic');
    assert.equal(provider.line, 3);
    assert.match(provider.message, /not a built-in provider \(did you mean "anthropic"\?\)/);
  });

  it('names the allowed values of a wrong enum, and the value it got', () => {
    const diagnostic = only(errorsOf('budget:\n  onExceed: stop\n'), 'budget.onExceed');
    assert.equal(diagnostic.message, 'budget.onExceed must be one of block, downgrade, warn (got "stop")');
    assert.deepEqual([diagnostic.line, diagnostic.column], [2, 13]);
  });

  it('gives the dotted path of a deep value, including list indexes', () => {
    const text = 'providers:\n  anthropic:\n    keys:\n      - id: work\n        limits: { rpm: 0 }\n';
    const diagnostic = only(errorsOf(text), 'providers.anthropic.keys[0].limits.rpm');
    assert.equal(diagnostic.message, 'providers.anthropic.keys[0].limits.rpm must be >= 1 (got 0)');
    assert.equal(diagnostic.line, 5);
  });

  it('points a missing required field at its parent key', () => {
    const text = 'providers:\n  anthropic:\n    keys:\n      - priority: 1\n';
    const diagnostic = only(errorsOf(text), 'providers.anthropic.keys[0]');
    assert.match(diagnostic.message, /needs "id"/);
    assert.equal(diagnostic.line, 4);
  });

  it('quotes odd keys in the path', () => {
    assert.equal(formatKeyPath(['pricing', 'openai/gpt-4.1', 'input']), 'pricing["openai/gpt-4.1"].input');
    const diagnostic = only(errorsOf('pricing:\n  "openai/gpt-4.1": { input: -1 }\n'), 'pricing["openai/gpt-4.1"].input');
    assert.equal(diagnostic.line, 2);
  });

  it('rejects a custom provider that is not OpenAI-compatible, or a built-in one with another protocol', () => {
    const diagnostics = errorsOf(
      'providers:\n  myproxy:\n    protocol: anthropic\n    baseUrl: https://proxy.example/v1\n  openai:\n    protocol: gemini\n',
    );
    assert.match(only(diagnostics, 'providers.myproxy.protocol').message, /must be one of openai-compatible, vscode-lm/);
    assert.match(only(diagnostics, 'providers.openai.protocol').message, /always "openai" for the built-in provider openai/);
  });

  it('rejects a key value without echoing it, and says where keys go', () => {
    const secret = 'sk-proj-9fJ2kLmN4pQrStUvWxYz0123456789abcd';
    const text = `providers:\n  openai:\n    apiKey: ${secret}\n    keys:\n      - id: default\n        token: hunter2-not-a-real-token\n`;
    const diagnostics = errorsOf(text);
    const apiKey = only(diagnostics, 'providers.openai.apiKey');
    assert.equal(apiKey.line, 3);
    assert.match(apiKey.message, /Model Router: Set API Key/);
    assert.match(apiKey.message, /OPENAI_API_KEY/);
    const token = only(diagnostics, 'providers.openai.keys[0].token');
    assert.match(token.message, /SecretStorage/);
    for (const diagnostic of diagnostics) {
      assert.ok(!diagnostic.message.includes(secret), 'the key must not be echoed');
      assert.ok(!diagnostic.message.includes('hunter2'), 'the token must not be echoed');
    }
  });

  it('rejects a key pasted where an id goes, without echoing it', () => {
    const secret = 'sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz012345';
    const diagnostics = errorsOf(`providers:\n  anthropic:\n    keys:\n      - id: ${secret}\n`);
    const diagnostic = only(diagnostics, 'providers.anthropic.keys[0].id');
    assert.match(diagnostic.message, /looks like an API key/);
    assert.ok(diagnostics.every((d) => !d.message.includes(secret)));
  });

  it('never echoes a key-shaped string, whether it is a value, part of a value or a key name', () => {
    const secret = 'sk-proj-9fJ2kLmN4pQrStUvWxYz0123456789abcd';
    const texts = [
      `providers:\n  anthropic:\n    label: "my key is ${secret}"\n`,
      `{ ${secret} }: 1\n`,
      `${secret}: 1\n`,
      `agents:\n  fixer:\n    chain: [${secret}]\n`,
    ];
    for (const text of texts) {
      const diagnostics = errorsOf(text);
      assert.ok(diagnostics.length > 0);
      for (const diagnostic of diagnostics) {
        assert.ok(!JSON.stringify(diagnostic).includes(secret.slice(0, 16)), `${text} -> ${JSON.stringify(diagnostic)}`);
      }
    }
  });

  it('reports a YAML syntax error with its line', () => {
    const diagnostics = errorsOf('version: 1\nagents:\n  explainer:\n    chain: [local, gemini\n');
    assert.ok(diagnostics.length > 0);
    assert.match(diagnostics[0]!.message, /^YAML syntax error/);
    assert.ok((diagnostics[0]!.line ?? 0) >= 4);
  });

  it('reports a duplicate key', () => {
    const diagnostics = errorsOf('strategy: cost\nstrategy: fallback\n');
    assert.equal(diagnostics[0]!.line, 2);
    assert.match(diagnostics[0]!.message, /unique/);
  });

  it('reports a duplicate key inside a nested mapping with its path and line', () => {
    const diagnostics = errorsOf('providers:\n  openai:\n    weight: 1\n    models: { light: a }\n    weight: 2\n');
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]!.key, 'providers.openai.weight');
    assert.equal(diagnostics[0]!.line, 5);
    assert.match(diagnostics[0]!.message, /set twice in the same mapping; map keys must be unique/);
    assert.equal(errorsOf('a: { x: 1 }\nb: { x: 1 }\n').some((d) => /twice/.test(d.message)), false, 'the same key in two mappings is fine');
  });

  it('does not read a file over the size bound, and says its size, the limit and what to do', () => {
    const text = `# ${'x'.repeat(MAX_CONFIG_FILE_BYTES)}\nstrategy: cost\n`;
    const result = loadConfigText('/repo/.model-router.yaml', text);
    assert.equal(result.ok, false);
    assert.equal(result.diagnostics.length, 1);
    const [d] = result.diagnostics;
    assert.deepEqual([d!.file, d!.line, d!.severity], ['/repo/.model-router.yaml', 1, 'error']);
    const bytes = Buffer.byteLength(text).toLocaleString('en-US');
    assert.equal(
      d!.message,
      `the file is ${bytes} bytes; a configuration file may be at most ${MAX_CONFIG_FILE_BYTES.toLocaleString('en-US')} bytes ` +
        '(1 MiB), so it is not read. A Model Router config is normally a few kilobytes: remove what is not configuration ' +
        '(a pasted log or price list, generated entries) until it is under the limit.',
    );
    // Counted in UTF-8 bytes, not characters: 400,000 three-byte characters are over the bound.
    assert.equal(loadConfigText('f.yaml', `# ${'€'.repeat(400_000)}\n`).ok, false);
    assert.equal(loadConfigText('f.yaml', `# ${'x'.repeat(MAX_CONFIG_FILE_BYTES - 100)}\nstrategy: cost\n`).ok, true, 'just under the bound is read');
  });

  it('reports at most MAX_FILE_DIAGNOSTICS problems of a file, and how many more there are', () => {
    const text = Array.from({ length: MAX_FILE_DIAGNOSTICS + 50 }, (_, i) => `unknown${i}: 1`).join('\n');
    const { diagnostics } = loadConfigText('f.yaml', text);
    assert.equal(diagnostics.length, MAX_FILE_DIAGNOSTICS + 1);
    assert.equal(diagnostics[0]!.line, 1);
    assert.equal(diagnostics.at(-1)!.message, 'and 50 more problems like the ones above in this file');
    assert.equal(diagnostics.at(-1)!.severity, 'error');
  });

  it('checks tier order, time zone and duplicate key ids within a file', () => {
    assert.match(only(errorsOf('tiers: { light: 6, medium: 4 }\n'), 'tiers.medium').message, /1 <= light < medium <= 9/);
    assert.match(only(errorsOf('tiers: { medium: 10 }\n'), 'tiers.medium').message, /<= 9/);
    assert.match(only(errorsOf('budget: { timeZone: Mars/Olympus }\n'), 'budget.timeZone').message, /IANA/);
    const duplicate = only(errorsOf('providers:\n  openai:\n    keys: [{ id: work }, { id: work }]\n'), 'providers.openai.keys[1].id');
    assert.match(duplicate.message, /listed twice/);
  });

  it('rejects an upper-case provider id', () => {
    const diagnostic = only(errorsOf('providers:\n  MyProxy:\n    protocol: openai-compatible\n    baseUrl: http://x/v1\n'), 'providers.MyProxy');
    assert.match(diagnostic.message, /lower case/);
    assert.equal(diagnostic.line, 2);
  });
});
