/**
 * The one USD formatter and the one duration formatter of the project: the CLI's output, the extension's messages,
 * tree, status bar and logs, and the dashboard webview (media/dashboard, bundled by esbuild) all import these, so an
 * amount or a time reads the same everywhere. No imports: this file must stay loadable in a browser bundle.
 */

const LOCALE = 'en-US';
let centsFormat: Intl.NumberFormat | undefined;
/** "1,234.56". Made on first use: the first Intl format loads locale data (tens of ms), which a CLI run may not need. */
function cents(value: number): string {
  centsFormat ??= new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return centsFormat.format(value);
}

/** Below this an amount is shown as "<$0.000001" (the ledger counts nano-dollars; no one reads ten decimals). */
const SMALLEST_USD = 0.000001;

/**
 * USD. Money is read in cents: from $0.01 up an amount is shown in cents with thousands separators ($1,234.56, $0.42,
 * $0.01). Below a cent, cents would say $0.00 for a request that did cost something, so the amount keeps two
 * significant digits instead ($0.0042, $0.00042, $0.0000050); below a millionth of a dollar "<$0.000001". Nothing
 * spent is "$0" (a free local model, an answer from the cache), a negative amount "-$0.42". No price (undefined, NaN,
 * infinite) is "price unknown".
 */
export function formatUsd(usd: number | undefined): string {
  if (usd === undefined || !Number.isFinite(usd)) return 'price unknown';
  const sign = usd < 0 ? '-' : '';
  const value = Math.abs(usd);
  if (value === 0) return '$0';
  if (value >= 0.01) return `${sign}$${cents(value)}`;
  if (value < SMALLEST_USD) return `${sign}<$0.000001`;
  const text = value.toFixed(1 - Math.floor(Math.log10(value)));
  // Rounding can carry up to a whole cent (0.00996 -> "0.0100"): that amount is shown in cents.
  return `${sign}$${Number(text) >= 0.01 ? cents(Number(text)) : text}`;
}

/**
 * A duration in milliseconds (a latency, a wait, a timeout, a countdown, time saved): `250 ms`; seconds with one
 * decimal below 10 s, a whole second without it (`1.5 s`, `5 s`, `9.9 s`), whole seconds below a minute (`42 s`); then
 * `4 min 12 s`, `2 min`; from an hour `1 h 18 min`, `3 h`. Each step starts where the previous one would round up to
 * it (999.6 ms is `1 s`, 9.96 s is `10 s`). No value (null, undefined, NaN, infinite, negative) is a dash.
 */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  if (ms < 9_950) return `${Number((ms / 1000).toFixed(1))} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3_600) {
    const rest = seconds % 60;
    return rest === 0 ? `${Math.floor(seconds / 60)} min` : `${Math.floor(seconds / 60)} min ${rest} s`;
  }
  const minutes = Math.round(seconds / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${Math.floor(minutes / 60)} h` : `${Math.floor(minutes / 60)} h ${rest} min`;
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
