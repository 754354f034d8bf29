/** Today's and this month's spend against their budgets, with a meter when a budget is set. */
import type { DashboardBudget, DashboardData } from '../../../src/core/ledger/dashboard';
import { formatUsd } from '../../../src/core/util/format';
import { h, icon } from '../dom';
import { formatDayKey, formatMonthKey, formatPercent } from '../format';

function budgetCard(budget: DashboardBudget): HTMLElement {
  const period = budget.period;
  const title = period === 'day' ? 'Today' : 'This month';
  const when = period === 'day' ? formatDayKey(budget.periodKey) : formatMonthKey(budget.periodKey);
  const limit =
    budget.limitUsd === null
      ? h('span', { attrs: { 'data-testid': `budget-${period}-limit` } }, `No ${period === 'day' ? 'daily' : 'monthly'} budget set`)
      : h('span', {}, 'of ', h('span', { attrs: { 'data-testid': `budget-${period}-limit` } }, formatUsd(budget.limitUsd)), period === 'day' ? ' daily budget' : ' monthly budget');
  const children: HTMLElement[] = [
    h('div', { class: 'card-head' }, h('h2', {}, title), h('span', { class: 'muted' }, when)),
    h('div', { class: 'amount', attrs: { 'data-testid': `budget-${period}-used` } }, formatUsd(budget.usedUsd)),
    h('div', { class: 'muted' }, limit),
  ];
  if (budget.limitUsd !== null) {
    const percent = budget.percent;
    const fill = h('span', { class: 'meter-fill' });
    fill.style.width = `${Math.min(100, percent ?? 100)}%`;
    children.push(
      h(
        'div',
        {
          class: 'meter',
          attrs: {
            role: 'meter',
            'aria-label': `${title}: share of the budget used`,
            'aria-valuemin': 0,
            'aria-valuemax': 100,
            'aria-valuenow': Math.round(Math.min(100, percent ?? 100)),
            'aria-valuetext': percent === null ? 'over a budget of $0' : formatPercent(percent / 100),
          },
        },
        fill,
      ),
      h(
        'div',
        { class: ['meter-label', `tone-${budget.status}`] },
        budget.status === 'over' ? icon('error') : budget.status === 'warning' ? icon('warning') : null,
        budget.status === 'ok' ? null : ' ',
        h('span', { attrs: { 'data-testid': `budget-${period}-percent` } }, percent === null ? 'over budget' : `${formatPercent(percent / 100)} used`),
        budget.status === 'over' ? ' · over budget' : budget.status === 'warning' ? ' · nearly spent' : '',
      ),
    );
  }
  return h('div', { class: ['card', 'budget', `status-${budget.status}`], attrs: { 'data-testid': `budget-${period}` } }, ...children);
}

export function budgetCards(data: DashboardData): HTMLElement[] {
  return [budgetCard(data.budgets.day), budgetCard(data.budgets.month)];
}
