/** What users did with the answers, per agent and model: acceptance and comparison picks; and the cache's savings. */
import type { DashboardData } from '../../../src/core/ledger/dashboard';
import { formatUsd } from '../../../src/core/util/format';
import type { Child } from '../dom';
import { h } from '../dom';
import { formatCount, formatPercent } from '../format';
import { num, table } from '../widgets';

export function feedbackSection(data: DashboardData): Child[] {
  const rows = data.feedback ?? [];
  const { table: element, body } = table(
    'Per agent and model: what you did with the answers',
    ['Agent', 'Model', ['Accepted', 'num'], ['Rejected', 'num'], ['Undone', 'num'], ['Retried stronger', 'num'], ['Acceptance', 'num'], ['Comparison wins', 'num'], ['Losses', 'num'], ['Both fine', 'num'], ['Neither', 'num']],
    'feedback-table',
  );
  for (const f of rows) {
    body.appendChild(
      h(
        'tr',
        { attrs: { 'data-testid': 'feedback-row', 'data-key': `${f.agent} ${f.provider}/${f.model}` } },
        h('td', { attrs: { 'data-testid': 'agent' } }, f.agent),
        h('td', { class: 'name', attrs: { 'data-testid': 'model' } }, h('span', { class: 'muted' }, `${f.provider}/`), f.model),
        num(formatCount(f.accepted), 'accepted'),
        num(formatCount(f.rejected), 'rejected'),
        num(formatCount(f.undone), 'undone'),
        num(formatCount(f.retriedStronger), 'retried'),
        num(f.acceptanceRate === null ? '—' : formatPercent(f.acceptanceRate), 'acceptance'),
        num(formatCount(f.compareWins), 'wins'),
        num(formatCount(f.compareLosses), 'losses'),
        num(formatCount(f.compareBoth), 'both'),
        num(formatCount(f.compareNeither), 'neither'),
      ),
    );
  }
  const cached = data.cached && data.cached.requests > 0
    ? h('p', { class: 'muted small', attrs: { 'data-testid': 'cached-summary' } }, `${formatCount(data.cached.requests)} answered from the cache, saving ${formatUsd(data.cached.savedUsd)}.`)
    : null;
  return [
    h('h2', { attrs: { id: 'feedback-title' } }, 'Feedback'),
    h('p', { class: 'muted small' }, 'Diffs accepted, rejected or undone, "Retry with a Stronger Model", and the picks of Compare Models. Acceptance: accepted and not undone, of the answers judged.'),
    cached,
    rows.length === 0 ? h('p', { class: 'muted' }, `No feedback in the last ${data.rangeDays} days.`) : h('div', { class: 'scroll' }, element),
  ];
}
