import assert from 'node:assert/strict';

import {
  excerpt,
  kindFromStatus,
  ProviderError,
  redact,
  retryAfterFromGoogleDetails,
  retryAfterFromHeaders,
} from '../../src/core/providers/errors';

describe('provider errors', () => {
  describe('retry-after', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');

    it('prefers retry-after-ms over retry-after', () => {
      assert.equal(retryAfterFromHeaders(new Headers({ 'retry-after-ms': '1500.4', 'retry-after': '9' }), now), 1500);
    });

    it('reads retry-after as seconds, including fractions', () => {
      assert.equal(retryAfterFromHeaders({ 'Retry-After': '20' }, now), 20_000);
      assert.equal(retryAfterFromHeaders({ 'retry-after': '0.5' }, now), 500);
    });

    it('reads retry-after as an HTTP date, and never returns a negative wait', () => {
      assert.equal(retryAfterFromHeaders({ 'retry-after': 'Mon, 23 Nov 2026 12:00:30 GMT' }, now), 30_000);
      assert.equal(retryAfterFromHeaders({ 'retry-after': 'Mon, 23 Nov 2026 11:59:00 GMT' }, now), 0);
    });

    it('ignores absent or garbage values', () => {
      assert.equal(retryAfterFromHeaders(undefined, now), undefined);
      assert.equal(retryAfterFromHeaders({ 'retry-after': 'soon' }, now), undefined);
      assert.equal(retryAfterFromHeaders({ 'retry-after-ms': '-4' }, now), undefined);
    });

    it("reads Gemini's RetryInfo retryDelay (protobuf Duration)", () => {
      const details = [
        { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [] },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' },
      ];
      assert.equal(retryAfterFromGoogleDetails(details), 37_000);
      assert.equal(
        retryAfterFromGoogleDetails([{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '0.250s' }]),
        250,
      );
      assert.equal(retryAfterFromGoogleDetails([{ '@type': 'x.RetryInfo', retryDelay: 'later' }]), undefined);
      assert.equal(retryAfterFromGoogleDetails('nope'), undefined);
    });
  });

  describe('kinds and retryability', () => {
    it('maps statuses to kinds', () => {
      const table: Array<[number, string]> = [
        [400, 'bad_request'],
        [401, 'auth'],
        [403, 'auth'],
        [404, 'bad_request'],
        [408, 'timeout'],
        [413, 'context_length'],
        [429, 'rate_limit'],
        [500, 'server'],
        [502, 'server'],
        [503, 'overloaded'],
        [504, 'timeout'],
        [529, 'overloaded'],
      ];
      for (const [status, kind] of table) assert.equal(kindFromStatus(status), kind, `status ${status}`);
    });

    it('retries transient kinds only, unless told otherwise', () => {
      const make = (kind: ProviderError['kind'], retryable?: boolean): ProviderError =>
        new ProviderError({ provider: 'p', kind, message: 'm', retryable });
      for (const kind of ['rate_limit', 'overloaded', 'server', 'timeout', 'network'] as const) {
        assert.equal(make(kind).retryable, true, kind);
      }
      for (const kind of ['auth', 'bad_request', 'context_length', 'content_filter', 'aborted'] as const) {
        assert.equal(make(kind).retryable, false, kind);
      }
      assert.equal(make('rate_limit', false).retryable, false);
    });

    it('is recognised by its marker, not by instanceof alone', () => {
      const error = new ProviderError({ provider: 'openai', kind: 'server', message: 'm' });
      assert.equal(ProviderError.is(error), true);
      assert.equal(ProviderError.is(new Error('m')), false);
      assert.equal(ProviderError.is({ kind: 'server' }), false);
      assert.equal(ProviderError.is(error.withPartialOutput()), true);
      assert.equal(error.withPartialOutput().partialOutput, true);
    });
  });

  describe('safe text', () => {
    it('removes the configured key and key-shaped strings', () => {
      const key = 'my-very-secret-key-123';
      const text = redact(
        `bad key ${key}; also sk-ant-api03-abcdefghijklmnop and sk-proj-ABCDEFGHIJKLMNOPQRSTUV, AIzaSyA1234567890abcdefghijklmn, Bearer abcdefghijklmnopqrstuvwxyz, https://x/y?key=zzz-123`,
        [key],
      );
      for (const secret of [key, 'sk-ant-api03', 'sk-proj-ABC', 'AIzaSy', 'abcdefghijklmnopqrstuvwxyz', 'zzz-123']) {
        assert.ok(!text.includes(secret), `${secret} leaked in: ${text}`);
      }
      assert.match(text, /bad key \[redacted\]/);
    });

    it('cuts long text to a one-line excerpt', () => {
      const long = `<html>\n<body>${'x'.repeat(500)}</body></html>`;
      const short = excerpt(long, 40);
      assert.equal(short.length, 40);
      assert.ok(!short.includes('\n'));
      assert.ok(short.endsWith('…'));
    });
  });
});
