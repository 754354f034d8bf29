import assert from 'node:assert/strict';

import { DEFAULT_CONFIG } from '../../src/core/config/defaults';
import { resolveConfig } from '../../src/core/config/layering';
import { loadConfigText } from '../../src/core/config/load';
import { presetAssignments } from '../../src/core/config/presets';
import { AGENT_IDS } from '../../src/core/config/types';
import { applyPresetInYaml, assignAgentInYaml, assignAgentsInYaml } from '../../src/core/config/yamlEdit';

const FILE = '/home/dev/.config/model-router/config.yaml';
const NOW = { now: new Date('2026-11-23T12:00:00Z') };

const COMMENTED = `# Model Router: my settings. Keep this comment.
version: 1

strategy: cost      # cheapest first

agents:
  # The explainer stays cheap.
  explainer:
    chain: [local, gemini]    # free first
    reasoning: "Cheap is fine for explanations."
  fixer:
    chain:
      - anthropic
      - openai   # second
    reasoning: >
      Fixes need the strongest model.

budget:
  daily: 5 # dollars
  onExceed: 'block'
`;

function agentsOf(text: string): Record<string, { chain: string[]; reasoning: string }> {
  const result = loadConfigText(FILE, text);
  assert.ok(result.ok, JSON.stringify(result.diagnostics));
  return result.layer.data.agents as Record<string, { chain: string[]; reasoning: string }>;
}

describe('config: YAML edits (assign, bulk)', () => {
  it('assign keeps comments and formatting, changes only the chain and reasoning, and re-parses', () => {
    const result = assignAgentInYaml(FILE, COMMENTED, 'explainer', ['gemini', 'local'], 'Gemini answers better here.');
    assert.equal(result.ok, true);
    assert.equal(
      result.text,
      COMMENTED.replace('[local, gemini]', '[gemini, local]').replace(
        '"Cheap is fine for explanations."',
        'Gemini answers better here.',
      ),
    );
    assert.deepEqual(agentsOf(result.text).explainer, { chain: ['gemini', 'local'], reasoning: 'Gemini answers better here.' });
  });

  it('assign rewrites a block list in place, in block style, and a folded reasoning', () => {
    const result = assignAgentInYaml(FILE, COMMENTED, 'fixer', ['openai', 'deepseek', 'anthropic']);
    assert.equal(result.ok, true);
    assert.ok(result.text.includes('    chain:\n      - openai\n      - deepseek\n      - anthropic   # second\n'));
    for (const line of ['# Model Router: my settings. Keep this comment.', 'strategy: cost      # cheapest first', '  # The explainer stays cheap.']) {
      assert.ok(result.text.includes(line), line);
    }
    const fixer = agentsOf(result.text).fixer!;
    assert.deepEqual(fixer.chain, ['openai', 'deepseek', 'anthropic']);
    // Without --reasoning, the old reasoning (written for the old chain) is replaced.
    assert.equal(fixer.reasoning, 'Assigned by hand: openai → deepseek → anthropic.');
  });

  it('assign adds a missing agent with the file\'s own indentation', () => {
    const text = 'agents:\n    explainer:\n        chain: [local]\n# trailing comment\n';
    const result = assignAgentInYaml(FILE, text, 'reviewer', ['anthropic', 'openai'], 'Strongest first.');
    assert.equal(result.ok, true);
    assert.ok(result.text.startsWith('agents:\n    explainer:\n        chain: [local]\n    reviewer:\n        chain: [anthropic, openai]\n'));
    assert.ok(result.text.includes('# trailing comment'));
    assert.deepEqual(agentsOf(result.text).reviewer, { chain: ['anthropic', 'openai'], reasoning: 'Strongest first.' });
  });

  it('assign creates the file content when the file is missing', () => {
    const result = assignAgentInYaml(FILE, undefined, 'tester', ['deepseek', 'openai']);
    assert.equal(result.ok, true);
    assert.match(result.text, /^# Model Router configuration/);
    assert.match(result.text, /Set API Key/);
    assert.deepEqual(agentsOf(result.text).tester!.chain, ['deepseek', 'openai']);
  });

  it('assign handles a file with no agents section and one written in flow style', () => {
    const appended = assignAgentInYaml(FILE, '# mine\nstrategy: cost', 'fixer', ['openai']);
    assert.equal(appended.ok, true);
    assert.ok(appended.text.startsWith('# mine\nstrategy: cost\nagents:\n  fixer:\n'));
    const flow = assignAgentInYaml(FILE, '# flow\n{ strategy: cost, agents: { fixer: { chain: [anthropic] } } }\n', 'fixer', ['openai']);
    assert.equal(flow.ok, true);
    assert.ok(flow.text.includes('# flow'));
    assert.deepEqual(agentsOf(flow.text).fixer!.chain, ['openai']);
  });

  it('assign drops a duplicate with a warning, and refuses unknown providers or agents without touching the file', () => {
    const duplicate = assignAgentInYaml(FILE, COMMENTED, 'explainer', ['local', 'local', 'gemini']);
    assert.equal(duplicate.ok, true);
    assert.equal(duplicate.diagnostics[0]!.severity, 'warning');
    assert.deepEqual(agentsOf(duplicate.text).explainer!.chain, ['local', 'gemini']);

    const unknown = assignAgentInYaml(FILE, COMMENTED, 'explainer', ['antropic']);
    assert.equal(unknown.ok, false);
    assert.equal(unknown.text, COMMENTED);
    assert.match(unknown.diagnostics[0]!.message, /unknown provider "antropic" \(did you mean "anthropic"\?\)/);

    const agent = assignAgentsInYaml(FILE, COMMENTED, { explaner: { chain: ['local'] } } as never);
    assert.equal(agent.ok, false);
    assert.match(agent.diagnostics[0]!.message, /did you mean "explainer"/);
  });

  it('assign accepts a custom provider declared in the file, and refuses to edit an invalid file', () => {
    const custom = 'providers:\n  lab:\n    protocol: openai-compatible\n    baseUrl: http://lab:8000/v1\n';
    assert.equal(assignAgentInYaml(FILE, custom, 'fixer', ['lab', 'anthropic']).ok, true);
    const invalid = assignAgentInYaml(FILE, 'budget: { onExceed: stop }\n', 'fixer', ['anthropic']);
    assert.equal(invalid.ok, false);
    assert.match(invalid.diagnostics.map((d) => d.message).join('\n'), /budget\.onExceed must be one of/);
    const broken = assignAgentInYaml(FILE, 'agents: [\n', 'fixer', ['anthropic']);
    assert.equal(broken.ok, false);
    assert.match(broken.diagnostics[0]!.message, /YAML syntax error/);
  });

  it('bulk writes every agent\'s preset chain and reasoning, keeping comments, and the result resolves to it', () => {
    const result = applyPresetInYaml(FILE, COMMENTED, DEFAULT_CONFIG, 'cost', NOW);
    assert.equal(result.ok, true);
    assert.ok(result.text.startsWith('# Model Router: my settings. Keep this comment.\nversion: 1\n\nstrategy: cost      # cheapest first\n'));
    assert.ok(result.text.includes('  # The explainer stays cheap.\n'));
    assert.ok(result.text.includes("  onExceed: 'block'\n"));
    const expected = presetAssignments(DEFAULT_CONFIG, 'cost', NOW);
    const { config, diagnostics } = resolveConfig({ workspaceTrusted: true, user: { file: FILE, text: result.text } });
    assert.deepEqual(diagnostics, []);
    for (const id of AGENT_IDS) {
      assert.deepEqual(config.agents[id].chain, expected[id].chain);
      assert.equal(config.agents[id].reasoning, expected[id].reasoning);
    }
  });
});
