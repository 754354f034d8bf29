/** The daily spend: what the chart's canvas says to a screen reader, and the same numbers as a table. */
import type { DashboardData } from '../../../src/core/ledger/dashboard';
import { formatUsd } from '../../../src/core/util/format';
import { h } from '../dom';
import { formatDayKey } from '../format';
import { num, table } from '../widgets';

export const SPEND_CAPTION = 'Spend per day, by provider';

/** The canvas's accessible name: the range's total, and where the numbers are. */
export function spendLabel(data: DashboardData): string {
  const total = data.spend.totalUsd.reduce((sum, usd) => sum + usd, 0);
  return `Daily spend by provider over the last ${data.rangeDays} days: ${formatUsd(total)} in total. The table below has the numbers.`;
}

export function spendTable(data: DashboardData): HTMLTableElement {
  const spend = data.spend;
  const { table: element, body } = table(`Daily spend by provider, last ${data.rangeDays} days`, ['Day', ...spend.providers, ['Total', 'num']], 'spend-table');
  element.querySelectorAll('th').forEach((th, i) => i > 0 && th.classList.add('num'));
  spend.days.forEach((day, d) => {
    body.appendChild(
      h(
        'tr',
        { attrs: { 'data-testid': 'spend-row', 'data-day': day } },
        h('td', {}, formatDayKey(day)),
        ...spend.providers.map((_, i) => num(formatUsd(spend.usdByProvider[i]![d]))),
        num(formatUsd(spend.totalUsd[d]), 'spend-total'),
      ),
    );
  });
  return element;
}
