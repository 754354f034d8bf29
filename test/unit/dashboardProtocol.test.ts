import assert from 'node:assert/strict';

import { createNonce, dashboardCsp, dashboardHtml } from '../../src/webview/dashboardHtml';
import { DASHBOARD_PROTOCOL_VERSION, parseWebviewMessage } from '../../src/webview/protocol';

const READY = { type: 'ready', protocol: DASHBOARD_PROTOCOL_VERSION } as const;

describe('dashboard protocol: validation', () => {
  it('accepts each well-formed message as it is', () => {
    const valid: unknown[] = [
      READY,
      { ...READY, rangeDays: 90 },
      { type: 'setRange', rangeDays: 7 },
      { type: 'refresh' },
      { type: 'export', requestId: 1, format: 'csv' },
      { type: 'export', requestId: 0, format: 'json' },
      { type: 'applyRecommendation', requestId: 2, id: 'cheaper-tier:explainer:openai' },
      { type: 'loadDecisions', requestId: 3, before: { startedAt: 1_770_000_000_000, id: 'r42' } },
      { type: 'runCommand', command: 'setApiKey' },
      { type: 'rendered', ms: 12.5 },
    ];
    for (const message of valid) assert.deepEqual(parseWebviewMessage(message), { ok: true, message }, JSON.stringify(message));
  });

  it('rejects each malformed message with a reason', () => {
    const cases: [unknown, RegExp][] = [
      [null, /plain object/],
      ['ready', /plain object/],
      [[READY], /plain object/],
      [{ type: 'ready' }, /missing protocol/],
      [{ ...READY, protocol: 2 }, /protocol must be 1/],
      [{ type: 'setRange', rangeDays: 14 }, /7, 30 or 90/],
      [{ type: 'setRange', rangeDays: '30' }, /7, 30 or 90/],
      [{ type: 'setRange', rangeDays: 30, extra: true }, /unexpected field "extra"/],
      [{ type: 'export', requestId: -1, format: 'csv' }, /requestId/],
      [{ type: 'export', requestId: 1.5, format: 'csv' }, /requestId/],
      [{ type: 'export', requestId: 1, format: 'xlsx' }, /format/],
      [{ type: 'applyRecommendation', requestId: 1, id: '' }, /id must be/],
      [{ type: 'applyRecommendation', requestId: 1, id: 'x'.repeat(257) }, /id must be/],
      [{ type: 'loadDecisions', requestId: 1, before: { startedAt: Number.NaN, id: 'a' } }, /startedAt/],
      [{ type: 'loadDecisions', requestId: 1, before: { startedAt: 1, id: 'a', sql: 'x' } }, /exactly/],
      [{ type: 'runCommand', command: 'workbench.action.terminal.new' }, /command must be one of/],
      [{ type: 'rendered', ms: Number.POSITIVE_INFINITY }, /ms must be/],
      [{ type: 'constructor' }, /unknown message type/],
      [{ type: '__proto__' }, /unknown message type/],
      [{ type: 7 }, /unknown message type number/],
      [Object.create({ type: 'refresh' }), /plain object/],
    ];
    for (const [message, reason] of cases) {
      const result = parseWebviewMessage(message);
      assert.equal(result.ok, false, JSON.stringify(message));
      assert.match((result as { reason: string }).reason, reason);
    }
    const getter = { get type(): string { throw new Error('boom'); } };
    assert.equal(parseWebviewMessage(getter).ok, false);
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
    assert.equal(parseWebviewMessage(proxy).ok, false);
  });
});

describe('dashboard html', () => {
  it('allows only the nonce script, own styles and font, and nothing remote', () => {
    const nonce = createNonce();
    assert.match(nonce, /^[A-Za-z0-9+/]{22}==$/);
    assert.notEqual(createNonce(), nonce);
    const html = dashboardHtml({ cspSource: 'https://x.vscode-cdn.net', nonce, scriptUri: 'https://x.vscode-cdn.net/d.js', styleUri: 'https://x.vscode-cdn.net/d.css' });
    assert.ok(html.includes(dashboardCsp('https://x.vscode-cdn.net', nonce)));
    assert.match(dashboardCsp('S', 'N'), /^default-src 'none'; img-src S data:; style-src S; font-src S; script-src 'nonce-N'$/);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.ok(html.includes(`<script nonce="${nonce}" src="https://x.vscode-cdn.net/d.js">`));
    assert.doesNotMatch(html, /style="|onclick|unsafe-/);
  });
});
