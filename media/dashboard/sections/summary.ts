/** The range's totals: spend, requests, answered share, tokens. */
import type { DashboardData } from '../../../src/core/ledger/dashboard';
import { formatUsd } from '../../../src/core/util/format';
import { formatCount, formatPercent, formatTokens } from '../format';
import { tile } from '../widgets';

export function summaryTiles(data: DashboardData): HTMLElement[] {
  const t = data.totals;
  return [
    tile(`Spend, ${data.rangeDays} days`, formatUsd(t.costUsd), 'summary-cost', t.requests > 0 ? `${formatUsd(t.costUsd / t.requests)} per request` : undefined),
    tile('Requests', formatCount(t.requests), 'summary-requests'),
    tile('Answered', formatPercent(t.successRate), 'summary-success', `${formatCount(t.answered)} of ${formatCount(t.requests)}`),
    tile('Tokens in / out', `${formatTokens(t.inputTokens)} / ${formatTokens(t.outputTokens)}`, 'summary-tokens', t.cacheRead > 0 ? `${formatTokens(t.cacheRead)} read from cache` : undefined),
  ];
}
