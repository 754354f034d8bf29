import assert from 'node:assert/strict';

import {
  BUILTIN_PROVIDERS,
  createProvider,
  keyFromEnvironment,
  resolveAdapterSettings,
} from '../../src/core/providers/registry';

describe('provider registry', () => {
  it('gives every built-in provider its protocol, endpoint and key source', () => {
    const deepseek = resolveAdapterSettings({ id: 'deepseek', protocol: 'openai-compatible', apiKey: 'k' });
    assert.equal(deepseek.baseUrl, 'https://api.deepseek.com/v1');
    assert.equal(deepseek.requiresKey, true);
    const local = resolveAdapterSettings({ id: 'local', protocol: 'openai-compatible' });
    assert.equal(local.baseUrl, 'http://localhost:11434/v1');
    assert.equal(local.requiresKey, false, 'a local server needs no key');
    assert.equal(resolveAdapterSettings({ id: 'anthropic', protocol: 'anthropic' }).baseUrl, undefined);
    for (const [id, builtin] of Object.entries(BUILTIN_PROVIDERS)) {
      assert.equal(createProvider({ id, protocol: builtin.protocol, apiKey: 'k' }).protocol, builtin.protocol);
    }
  });

  it('points a local provider at LM Studio when configured', () => {
    const lm = resolveAdapterSettings({ id: 'local', protocol: 'openai-compatible', baseUrl: 'http://localhost:1234/v1' });
    assert.equal(lm.baseUrl, 'http://localhost:1234/v1');
  });

  it('rejects configurations that cannot work, saying what to change', () => {
    assert.throws(
      () => resolveAdapterSettings({ id: 'my-vllm', protocol: 'openai-compatible' }),
      /"my-vllm" is OpenAI-compatible but has no baseUrl.*http:\/\/localhost:1234\/v1/,
    );
    assert.throws(
      () => resolveAdapterSettings({ id: 'my-vllm', protocol: 'openai-compatible', baseUrl: 'localhost:8000' }),
      /baseUrl must start with http:\/\/ or https:\/\//,
    );
    assert.throws(
      () => resolveAdapterSettings({ id: 'x', protocol: 'openai-compatible', baseUrl: 'not a url' }),
      /"not a url" is not a URL/,
    );
    assert.throws(
      () => resolveAdapterSettings({ id: 'anthropic', protocol: 'openai' }),
      /speaks the anthropic protocol, not openai/,
    );
    assert.throws(
      () => resolveAdapterSettings({ id: 'openai', protocol: 'openai', timeoutMs: -5 }),
      /timeoutMs must be a positive number of milliseconds, got -5/,
    );
  });

  it('treats a custom OpenAI-compatible endpoint as keyless unless told otherwise', () => {
    const custom = resolveAdapterSettings({ id: 'vllm', protocol: 'openai-compatible', baseUrl: 'http://127.0.0.1:8000/v1' });
    assert.equal(custom.requiresKey, false);
    assert.equal(custom.label, 'vllm');
    const keyed = resolveAdapterSettings({
      id: 'together',
      protocol: 'openai-compatible',
      baseUrl: 'https://api.together.xyz/v1',
      requiresKey: true,
    });
    assert.equal(keyed.requiresKey, true);
  });

  it('reads keys from the usual environment variables, in order of preference', () => {
    const env = { GOOGLE_API_KEY: 'g2', GEMINI_API_KEY: 'g1', ANTHROPIC_API_KEY: 'a', DEEPSEEK_API_KEY: '' };
    assert.equal(keyFromEnvironment('gemini', env), 'g1');
    assert.equal(keyFromEnvironment('gemini', { GOOGLE_API_KEY: 'g2' }), 'g2');
    assert.equal(keyFromEnvironment('anthropic', env), 'a');
    assert.equal(keyFromEnvironment('deepseek', env), undefined, 'an empty variable is no key');
    assert.equal(keyFromEnvironment('local', env), undefined);
    assert.equal(keyFromEnvironment('custom', env), undefined);
  });

  it('names the environment variable in the missing-key hint', () => {
    assert.match(resolveAdapterSettings({ id: 'openai', protocol: 'openai' }).keyHint, /OPENAI_API_KEY/);
    assert.match(resolveAdapterSettings({ id: 'local', protocol: 'openai-compatible' }).keyHint, /Set API Key/);
  });
});
