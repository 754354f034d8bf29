/** Spend by agent and by model, each row with its share of the range's spend. */
import type { DashboardData } from '../../../src/core/ledger/dashboard';
import type { BreakdownRow } from '../../../src/core/ledger/queries';
import { formatUsd } from '../../../src/core/util/format';
import { providerColorVar } from '../chart';
import { h } from '../dom';
import { formatCount, formatPercent } from '../format';
import { num, shareBar, table } from '../widgets';

function breakdownCard(data: DashboardData, title: string, id: string, rows: readonly BreakdownRow[], nameHeader: string, colored: boolean): HTMLElement {
  const total = data.totals.costUsd;
  const { table: element, body } = table(title, [nameHeader, ['Requests', 'num'], ['Answered', 'num'], ['Cost', 'num'], ['Share', 'share-col']], `${id}-table`);
  rows.forEach((row, i) => {
    const share = total > 0 ? row.costUsd / total : 0;
    body.appendChild(
      h(
        'tr',
        { attrs: { 'data-testid': `${id}-row`, 'data-key': row.key } },
        h('td', { class: 'name', attrs: { 'data-testid': 'key' } }, row.key),
        num(formatCount(row.requests), 'requests'),
        num(formatPercent(row.successRate), 'success'),
        num(formatUsd(row.costUsd), 'cost'),
        h('td', { class: 'share-col' }, shareBar(share, colored ? providerColorVar(row.key.split('/')[0]!, i) : undefined), h('span', { class: 'muted small' }, ` ${formatPercent(share)}`)),
      ),
    );
  });
  const empty = rows.length === 0 ? h('p', { class: 'muted' }, `No requests in the last ${data.rangeDays} days.`) : null;
  return h('section', { class: 'card', attrs: { 'aria-labelledby': `${id}-title` } }, h('h2', { attrs: { id: `${id}-title` } }, title), empty ?? h('div', { class: 'scroll' }, element));
}

export function breakdownCards(data: DashboardData): HTMLElement[] {
  return [
    breakdownCard(data, 'By agent', 'agent', data.byAgent, 'Agent', false),
    breakdownCard(data, 'By model', 'model', data.byModel, 'Model', true),
  ];
}
