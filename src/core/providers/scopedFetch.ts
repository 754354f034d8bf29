/**
 * The global `fetch` replaced only for calls made inside a scope: for an SDK that takes no `fetch` option (Google's
 * `@google/generative-ai` calls the global one), so its bodies can be bounded like the other SDKs'.
 *
 * The global is wrapped once, transparently: outside a scope (anything else in the process, such as other extensions
 * in VS Code's extension host) the wrapper calls the fetch that was there before, unchanged. The scope is an
 * AsyncLocalStorage context, so it follows the SDK's awaits and ends with the call. If other code replaces the global
 * fetch later (a proxy helper), the next scope wraps that one instead.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Builds the fetch to use in a scope on top of the fetch it replaces. */
export type FetchOver = (base: typeof fetch) => typeof fetch;

const scope = new AsyncLocalStorage<FetchOver>();
let underlying: typeof fetch | undefined;

const wrapper: typeof fetch = (input, init) => {
  const base = underlying!;
  const over = scope.getStore();
  return over ? over(base)(input, init) : base(input, init);
};

/** Runs `fn` with the global fetch, for calls made inside it, replaced by `over(the previous global fetch)`. */
export function withScopedFetch<T>(over: FetchOver, fn: () => Promise<T>): Promise<T> {
  if (globalThis.fetch !== wrapper) {
    underlying = globalThis.fetch;
    globalThis.fetch = wrapper;
  }
  return scope.run(over, fn);
}
