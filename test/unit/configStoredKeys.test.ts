import assert from 'node:assert/strict';

import { resolveConfig } from '../../src/core/config/layering';
import { withStoredKeys } from '../../src/core/config/storedKeys';

describe('withStoredKeys: keys stored in SecretStorage join the configuration', () => {
  const base = resolveConfig({ workspaceTrusted: false }).config;

  it('adds a stored key with its tags after the configured ones', () => {
    const config = withStoredKeys(base, [{ provider: 'anthropic', id: 'work', tiers: ['heavy'], priority: 2 }]);
    assert.deepEqual(
      config.providers.anthropic!.keys.map((key) => key.id),
      ['default', 'work'],
    );
    assert.deepEqual(config.providers.anthropic!.keys[1], { id: 'work', tiers: ['heavy'], priority: 2 });
    assert.equal(base.providers.anthropic!.keys.length, 1, 'the input is not changed');
  });

  it('keeps the configuration entry when the same id is configured (the YAML tags win)', () => {
    const config = withStoredKeys(base, [{ provider: 'openai', id: 'default', tiers: ['light'] }]);
    assert.equal(config, base);
  });

  it('gives no key to a provider declared without a key, nor to a keyless local server', () => {
    const resolution = resolveConfig({
      workspaceTrusted: false,
      user: {
        file: '/home/dev/.config/model-router/config.yaml',
        text: 'providers:\n  my-proxy:\n    protocol: openai-compatible\n    baseUrl: https://proxy.example/v1\n    requiresKey: false\n    models: { medium: m }\n',
      },
    });
    const proxy = resolution.config.providers['my-proxy'];
    assert.ok(proxy, 'the user file declares the provider');
    const config = withStoredKeys(resolution.config, [
      { provider: 'my-proxy', id: 'default' },
      { provider: 'local', id: 'default' },
      { provider: 'nobody', id: 'default' },
    ]);
    assert.deepEqual(config.providers['my-proxy']!.keys, []);
    assert.deepEqual(config.providers.local!.keys, base.providers.local!.keys);
  });
});
