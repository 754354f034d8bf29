/**
 * The `vscode-lm` provider in the configuration (VS Code's language models, extension only): declared in the user
 * file, free unless priced, usable in chains, refused from a workspace file, and failing at once (with why) in the CLI,
 * whose provider registry has no adapter for it.
 */
import assert from 'node:assert/strict';

import type { ConfigResolution } from '../../src/core/config/layering';
import { resolveConfig } from '../../src/core/config/layering';
import { createPriceTable, providerPriceOptions } from '../../src/core/pricing/cost';
import { ProviderError } from '../../src/core/providers/errors';
import { createProvider } from '../../src/core/providers/registry';

const USER_FILE = '/home/u/.config/model-router/config.yaml';

function resolveUser(text: string, workspaceText?: string): ConfigResolution {
  return resolveConfig({
    workspaceTrusted: true,
    user: { file: USER_FILE, text },
    ...(workspaceText !== undefined ? { workspace: { file: '/repo/.model-router.yaml', text: workspaceText } } : {}),
  });
}

const COPILOT = ['providers:', '  copilot:', '    protocol: vscode-lm', '    models: { light: copilot/gpt-4o-mini, heavy: copilot/claude-sonnet-4 }', 'agents:', '  explainer: { chain: [copilot, local] }', ''].join('\n');

describe('vscode-lm provider (config)', () => {
  it('is declared in the user file with vendor/family models and used in a chain, without errors', () => {
    const { config, diagnostics } = resolveUser(COPILOT);
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    const provider = config.providers['copilot'];
    assert.ok(provider);
    assert.equal(provider.protocol, 'vscode-lm');
    assert.deepEqual(provider.models, { light: 'copilot/gpt-4o-mini', heavy: 'copilot/claude-sonnet-4' });
    assert.equal(provider.requiresKey, false, 'VS Code models need no key of ours');
    assert.deepEqual(config.agents.explainer.chain, ['copilot', 'local']);
  });

  it('costs $0 unless the user sets a price', () => {
    const free = resolveUser(COPILOT).config;
    assert.equal(free.providers['copilot']?.free, true);
    const freePrices = createPriceTable(free.pricing, providerPriceOptions(Object.values(free.providers)));
    const { price } = freePrices.charge('copilot', 'copilot/gpt-4o-mini');
    assert.deepEqual([price.input, price.output], [0, 0]);

    const priced = resolveUser(COPILOT.replace('    protocol: vscode-lm\n', '    protocol: vscode-lm\n    unknownModelPrice: { input: 1, output: 4 }\n')).config;
    assert.equal(priced.providers['copilot']?.free, false);
    const prices = createPriceTable(priced.pricing, providerPriceOptions(Object.values(priced.providers)));
    assert.equal(prices.charge('copilot', 'copilot/gpt-4o-mini').price.output, 4);
  });

  it('cannot be declared by a workspace file', () => {
    const { config } = resolveUser('', COPILOT);
    assert.equal(config.providers['copilot'], undefined);
  });

  it('fails at once in the CLI, not retryable, saying only the VS Code extension can use it', async () => {
    const provider = createProvider({ id: 'copilot', protocol: 'vscode-lm', requiresKey: false });
    const stream = provider.stream({ model: 'copilot/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    await assert.rejects(stream.next(), (error: unknown) => {
      assert.ok(error instanceof ProviderError);
      assert.equal(error.retryable, false);
      assert.match(error.message, /only the VS Code extension can use/);
      return true;
    });
  });
});
