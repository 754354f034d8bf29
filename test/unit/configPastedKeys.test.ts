import assert from 'node:assert/strict';

import type { ConfigDiagnostic } from '../../src/core/config/diagnostics';
import { describeValue, formatDiagnostic, formatKeyPath, isOpaqueToken } from '../../src/core/config/diagnostics';
import { loadConfigText, validateConfigValue } from '../../src/core/config/load';

/**
 * A key with no known prefix (hex, base64, a gateway's own format) pasted where a URL, a key id or a provider id
 * belongs: diagnostics say where it is (line:column), how long it is and what belongs there, never any of it.
 * Short names are still quoted, for "did you mean".
 */

const HEX_KEY = '4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a';
const BASE64_KEY = 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3A=';
const GATEWAY_KEY = 'gw-TESTSECRET-gateway-0123456789';

function diagnosticsOf(text: string): readonly ConfigDiagnostic[] {
  const result = loadConfigText('/tmp/pasted.yaml', text);
  return result.diagnostics;
}

/** No diagnostic quotes 6 or more consecutive characters of any of the keys. */
function assertQuotesNone(diagnostics: readonly ConfigDiagnostic[], keys: readonly string[]): void {
  for (const diagnostic of diagnostics) {
    const text = formatDiagnostic(diagnostic) + diagnostic.key;
    for (const key of keys) {
      for (let start = 0; start + 6 <= key.length; start++) {
        const piece = key.slice(start, start + 6);
        if (/^[a-z]+$/i.test(piece)) continue; // plain words ("gateway") appear in messages for other reasons
        assert.ok(!text.includes(piece), `"${piece}" of a key is quoted: ${text}`);
      }
    }
  }
}

describe('config: keys pasted in the wrong place are located, never quoted', () => {
  it('a key as baseUrl, key id or chain entry is an error at its line:column, with its length and what belongs there', () => {
    const diagnostics = diagnosticsOf(
      [
        'providers:',
        '  anthropic:',
        `    baseUrl: ${HEX_KEY}`,
        '    keys:',
        `      - id: ${GATEWAY_KEY}`,
        '  openai:',
        `    baseUrl: "${BASE64_KEY}"`,
        'agents:',
        '  explainer:',
        `    chain: [anthropic, ${HEX_KEY}]`,
        '',
      ].join('\n'),
    );
    assertQuotesNone(diagnostics, [HEX_KEY, BASE64_KEY, GATEWAY_KEY]);
    const at = (key: string): ConfigDiagnostic => {
      const found = diagnostics.find((d) => d.key === key);
      assert.ok(found, `no diagnostic for ${key}: ${diagnostics.map((d) => d.key).join(', ')}`);
      return found;
    };
    const baseUrl = at('providers.anthropic.baseUrl');
    assert.deepEqual([baseUrl.line, baseUrl.column, baseUrl.severity], [3, 14, 'error']);
    assert.match(baseUrl.message, /is a 40-character value that looks like an API key, not a URL/);
    assert.match(baseUrl.message, /ANTHROPIC_API_KEY/);
    assert.match(at('providers.openai.baseUrl').message, /52-character value .* not a URL/);
    const keyId = at('providers.anthropic.keys[0].id');
    assert.deepEqual([keyId.line, keyId.column], [5, 13]);
    assert.match(keyId.message, /32-character value that looks like an API key, not a key id/);
    const chain = at('agents.explainer.chain[1]');
    assert.deepEqual([chain.line, chain.column], [10, 24]);
    assert.match(chain.message, /40-character value .* not a provider id/);
  });

  it('other messages describe a long opaque value by its length, and still quote names and short values', () => {
    const zone = diagnosticsOf(`budget: { timeZone: ${HEX_KEY.slice(0, 34)} }\n`);
    assert.match(zone[0]!.message, /not an IANA time zone \(got a 34-character value, not shown as it may be an API key; e\.g\. Europe\/Berlin/);
    assertQuotesNone(zone, [HEX_KEY]);
    assert.match(diagnosticsOf('budget: { timeZone: Mars/Olympus }\n')[0]!.message, /got "Mars\/Olympus"/);
    assert.match(diagnosticsOf('budget: { timeZone: America/Argentina/Buenos_Aire }\n')[0]!.message, /got "America\/Argentina\/Buenos_Aire"/);

    const unknown = diagnosticsOf(`agents:\n  explainer:\n    ${BASE64_KEY.slice(0, 30)}: 1\n`);
    assertQuotesNone(unknown, [BASE64_KEY]);
    assert.match(unknown[0]!.message, /unknown key \(a 30-character name, not shown as it may be an API key\)/);
    assert.match(diagnosticsOf('agents:\n  explainer:\n    chian: [anthropic]\n')[0]!.message, /unknown key "chian" .*did you mean "chain"/);

    const typo = validateConfigValue('settings', { agents: { explainer: { chain: ['anthropc'] } } });
    assert.equal(typo.length, 0, 'a short unknown provider is not a pasted key (layering warns and suggests)');
  });

  it('isOpaqueToken tells names, model ids, zones and URLs from keys', () => {
    for (const name of ['anthropic', 'claude-sonnet-5-5-20261001', 'gpt-6.2-astra', 'America/Argentina/Buenos_Aires', 'https://gateway.example/v1/abc0123456789xyz', 'team-2026-q3-project-alpha', 'a short sentence with spaces']) {
      assert.equal(isOpaqueToken(name), false, name);
    }
    for (const key of [HEX_KEY, BASE64_KEY, GATEWAY_KEY, 'AKIAIOSFODNN7EXAMPLE', `my key is ${HEX_KEY}`]) {
      assert.equal(isOpaqueToken(key), true, key);
    }
    assert.equal(describeValue('http://alice:hunter2@proxy.example/v1'), '"http://***:***@proxy.example/v1"');
    assert.equal(formatKeyPath(['providers', HEX_KEY, 'baseUrl']), 'providers[(a 40-character name)].baseUrl');
  });
});
