import assert from 'node:assert/strict';

import { withScopedFetch } from '../../src/core/providers/scopedFetch';

/** The URL a fetch was called with, whatever form it took. */
function urlOf(input: string | URL | Request): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

/** The global fetch replaced only inside a scope (for Gemini's SDK, which takes no fetch option). */
describe('scoped global fetch', () => {
  const original = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = original;
  });

  it('applies the replacement inside the scope (through awaits) and leaves every other caller on the previous fetch', async () => {
    const seen: string[] = [];
    const previous: typeof fetch = async (input) => {
      seen.push(`previous ${urlOf(input)}`);
      return new Response('plain');
    };
    globalThis.fetch = previous;
    const inside = await withScopedFetch(
      (base) => async (input, init) => {
        seen.push(`scoped ${urlOf(input)}`);
        return base(input, init);
      },
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return (await fetch('http://127.0.0.1:9/inside')).text();
      },
    );
    const outside = await (await fetch('http://127.0.0.1:9/outside')).text();
    assert.equal(inside, 'plain');
    assert.equal(outside, 'plain');
    assert.deepEqual(seen, ['scoped http://127.0.0.1:9/inside', 'previous http://127.0.0.1:9/inside', 'previous http://127.0.0.1:9/outside']);
  });

  it('wraps a fetch installed later by other code (a proxy helper) instead of dropping it', async () => {
    const calls: string[] = [];
    globalThis.fetch = async () => new Response('first');
    await withScopedFetch((base) => base, async () => undefined);
    globalThis.fetch = async () => {
      calls.push('later');
      return new Response('later');
    };
    const text = await withScopedFetch((base) => base, async () => (await fetch('http://127.0.0.1:9/')).text());
    assert.equal(text, 'later');
    assert.deepEqual(calls, ['later']);
  });
});
