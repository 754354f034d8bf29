/** Formatting shared by the CLI's output and the extension's messages, tree and status bar. */

/** `$0`, `$0.0004`, `$0.012`, `$1.25`; "price unknown" for undefined. */
export function formatUsd(usd: number | undefined): string {
  if (usd === undefined || !Number.isFinite(usd)) return 'price unknown';
  if (usd === 0) return '$0';
  if (usd < 0.0001) return '<$0.0001';
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  if (usd < 1) return `$${usd.toFixed(3)}`;
  return `$${usd.toFixed(2)}`;
}

/** `850 ms`, `1.2 s`, `2 min 5 s`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** `a → b → c`. */
export function formatChain(chain: readonly string[]): string {
  return chain.length > 0 ? chain.join(' → ') : '(empty)';
}

/** A load-balance weight for display, two significant digits: 1, 0.62, 0.05, 12.5. */
export function formatWeight(weight: number): string {
  if (!Number.isFinite(weight)) return '—';
  return weight >= 10 ? weight.toFixed(1).replace(/\.0$/, '') : String(Number(weight.toPrecision(2)));
}
