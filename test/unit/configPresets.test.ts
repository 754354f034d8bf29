import assert from 'node:assert/strict';

import { DEFAULT_CONFIG } from '../../src/core/config/defaults';
import { resolveConfig } from '../../src/core/config/layering';
import { applyPreset, presetAssignments } from '../../src/core/config/presets';
import { AGENT_IDS, PRESETS } from '../../src/core/config/types';

const NOW = { now: new Date('2026-11-23T12:00:00Z') };
const ALL = ['anthropic', 'openai', 'gemini', 'deepseek', 'local'];

describe('config: presets', () => {
  it('rewrite every agent\'s chain, with a reasoning, using every enabled provider once', () => {
    for (const preset of PRESETS) {
      const chains = applyPreset(DEFAULT_CONFIG, preset, NOW);
      const assignments = presetAssignments(DEFAULT_CONFIG, preset, NOW);
      assert.deepEqual(Object.keys(chains).sort(), [...AGENT_IDS].sort());
      for (const id of AGENT_IDS) {
        assert.deepEqual([...chains[id]].sort(), [...ALL].sort(), `${preset}/${id}`);
        assert.deepEqual(assignments[id].chain, chains[id]);
        assert.match(assignments[id].reasoning, preset === 'balanced' ? /^Balanced preset/ : /preset/);
      }
    }
  });

  it('cost: cheapest first by the configured models and prices (free local, then DeepSeek, then Gemini)', () => {
    const chains = applyPreset(DEFAULT_CONFIG, 'cost', NOW);
    for (const id of AGENT_IDS) assert.deepEqual(chains[id].slice(0, 3), ['local', 'deepseek', 'gemini']);
    // Claude Opus 5.5 ($4/$20) is cheaper than GPT-6.2 Astra ($8/$40) at the heavy tier, the rest being equal.
    assert.deepEqual(chains.reviewer.slice(3), ['anthropic', 'openai']);
    assert.match(presetAssignments(DEFAULT_CONFIG, 'cost', NOW).explainer.reasoning, /local \(free\) → deepseek \(~\$/);
  });

  it('cost: follows price overrides and puts a provider with an unknown price last', () => {
    const { config } = resolveConfig({
      workspaceTrusted: true,
      user: {
        file: 'user.yaml',
        text: [
          'pricing:',
          '  "openai/gpt-6-luna": { input: 0.01, output: 0.01 }',
          '  "openai/gpt-6.2-sol": { input: 0.01, output: 0.01 }',
          '  "openai/gpt-6.2-astra": { input: 0.01, output: 0.01 }',
          'providers:',
          '  lab: { protocol: openai-compatible, baseUrl: "http://lab:8000/v1", models: { medium: mystery } }',
        ].join('\n'),
      },
    });
    const chain = applyPreset(config, 'cost', NOW).fixer;
    assert.deepEqual(chain.slice(0, 2), ['local', 'openai']);
    assert.equal(chain[chain.length - 1], 'lab');
  });

  it('performance: strongest first for the agent\'s task', () => {
    const chains = applyPreset(DEFAULT_CONFIG, 'performance', NOW);
    assert.deepEqual(chains.reviewer, ['anthropic', 'openai', 'gemini', 'deepseek', 'local']);
    for (const id of AGENT_IDS) assert.equal(chains[id][chains[id].length - 1], 'local');
  });

  it('balanced: strong for review, refactor and free questions; cheap for explain and document', () => {
    const balanced = applyPreset(DEFAULT_CONFIG, 'balanced', NOW);
    const performance = applyPreset(DEFAULT_CONFIG, 'performance', NOW);
    const cost = applyPreset(DEFAULT_CONFIG, 'cost', NOW);
    for (const id of ['reviewer', 'refactorer', 'architect'] as const) assert.deepEqual(balanced[id], performance[id]);
    for (const id of ['explainer', 'documenter'] as const) assert.deepEqual(balanced[id], cost[id]);
    // In between: the cheapest provider rated >= 0.75 for the task leads; the local model (0.4) comes last.
    assert.equal(balanced.implementer[0], 'deepseek');
    assert.equal(balanced.implementer[balanced.implementer.length - 1], 'local');
  });

  it('leave out disabled providers', () => {
    const { config } = resolveConfig({ workspaceTrusted: true, settings: { providers: { local: { enabled: false } } } });
    for (const chain of Object.values(applyPreset(config, 'cost', NOW))) assert.ok(!chain.includes('local'));
  });
});
