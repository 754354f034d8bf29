/** Every model's requests, success, latency, tokens, cost and speed; below it the load-balance weights, when known. */
import type { DashboardData } from '../../../src/core/ledger/dashboard';
import { formatUsd, formatWeight } from '../../../src/core/util/format';
import type { Child } from '../dom';
import { h } from '../dom';
import { formatCount, formatLatency, formatPercent, formatTokens } from '../format';
import { num, table } from '../widgets';

export function modelsSection(data: DashboardData): Child[] {
  const { table: element, body } = table(
    'Per model: every request sent to it, retries and fallbacks included',
    ['Model', ['Requests', 'num'], ['Success', 'num'], ['p50', 'num'], ['p95', 'num'], ['Tokens in', 'num'], ['Tokens out', 'num'], ['Cost', 'num'], ['Tokens/s', 'num']],
    'models-table',
  );
  for (const m of data.models) {
    body.appendChild(
      h(
        'tr',
        { attrs: { 'data-testid': 'models-row', 'data-key': `${m.provider}/${m.model}` } },
        h('td', { class: 'name' }, h('span', { class: 'muted' }, `${m.provider}/`), m.model),
        num(formatCount(m.requests), 'requests'),
        num(formatPercent(m.successRate), 'success'),
        num(formatLatency(m.latencyP50Ms), 'p50'),
        num(formatLatency(m.latencyP95Ms), 'p95'),
        num(formatTokens(m.inputTokens), 'input'),
        num(formatTokens(m.outputTokens), 'output'),
        num(formatUsd(m.costUsd), 'cost'),
        num(m.tokensPerSecond === null ? '—' : m.tokensPerSecond.toFixed(m.tokensPerSecond < 10 ? 1 : 0), 'tokens-per-second'),
      ),
    );
  }
  return [
    h('h2', { attrs: { id: 'models-title' } }, 'Models'),
    h('p', { class: 'muted small' }, 'Every request sent to a model, retries and fallbacks included; latency of the successful ones (median and 95th percentile).'),
    data.models.length === 0 ? h('p', { class: 'muted' }, `No requests in the last ${data.rangeDays} days.`) : h('div', { class: 'scroll' }, element),
    ...weightsTable(data),
  ];
}

/** Load-balance weights: configured and effective (weight × (1 − 0.5 × error rate) × 1 / (1 + p50 / 10 s)). */
function weightsTable(data: DashboardData): HTMLElement[] {
  const weights = data.weights ?? [];
  if (weights.length === 0) return [];
  const { table: element, body } = table(
    'Load-balance weight per provider: configured, and adjusted by its recent error rate and median latency',
    ['Provider', ['Weight', 'num'], ['Effective', 'num'], ['Errors', 'num'], ['p50', 'num']],
    'weights-table',
  );
  for (const w of weights) {
    body.appendChild(
      h(
        'tr',
        { attrs: { 'data-testid': 'weights-row', 'data-key': w.provider } },
        h('td', { class: 'name' }, w.provider),
        num(formatWeight(w.weight), 'weight'),
        num(formatWeight(w.effective), 'effective'),
        num(w.measured ? formatPercent(w.errorRate) : '—', 'errors'),
        num(formatLatency(w.p50Ms), 'p50'),
      ),
    );
  }
  return [
    h('h3', { attrs: { id: 'weights-title' } }, 'Load-balance weights'),
    h(
      'p',
      { class: 'muted small' },
      'Effective weight = weight × (1 − 0.5 × error rate) × 1 / (1 + p50 / 10 s), over the attempts of the last hours (half-life 30 minutes). Used by the load-balance strategy; "Model Router: Rebalance..." edits the weights.',
    ),
    h('div', { class: 'scroll' }, element),
  ];
}
