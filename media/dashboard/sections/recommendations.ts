/** Recommendations: changes to the agents' chains that the ledger says would save money or waiting, each with Apply. */
import type { DashboardRange } from '../../../src/core/ledger/dashboard';
import { formatMs, formatUsd } from '../../../src/core/util/format';
import type { RecommendationView } from '../../../src/webview/protocol';
import type { Child } from '../dom';
import { h, icon } from '../dom';

/** The range's recommendations as the page knows them; `items` stay shown while newer ones load. */
export interface RecommendationsState {
  readonly rangeDays: DashboardRange;
  readonly state: 'loading' | 'ready' | 'error';
  readonly items: readonly RecommendationView[];
  readonly message?: string;
}

export interface RecommendationsProps {
  readonly recommendations: RecommendationsState | undefined;
  /** Ids being applied (their button says so and is disabled). */
  readonly applying: ReadonlySet<string>;
  readonly apply: (item: RecommendationView) => void;
}

export function recommendationsSection({ recommendations: state, applying, apply }: RecommendationsProps): Child[] {
  const title = h('h2', { attrs: { id: 'recommendations-title' } }, icon('lightbulb'), ' Recommendations');
  if (!state || (state.state === 'loading' && state.items.length === 0)) {
    return [title, h('p', { class: 'muted', attrs: { 'data-testid': 'recommendations-loading' } }, icon('loading', 'codicon-modifier-spin'), ' Looking for savings in the ledger…')];
  }
  if (state.state === 'error') {
    return [title, h('p', { class: 'tone-over' }, icon('error'), ` Could not compute recommendations: ${state.message ?? ''}`)];
  }
  if (state.items.length === 0) {
    return [title, h('p', { class: 'muted', attrs: { 'data-testid': 'recommendations-none' } }, `Nothing to recommend for the last ${state.rangeDays} days: routing looks right for what the ledger shows.`)];
  }
  const list = h('ul', { class: 'recommendations' });
  for (const item of state.items) {
    const saving =
      item.savingsUsd > 0
        ? h('span', { class: 'saving', attrs: { 'data-testid': 'saving' } }, icon('pass'), ` Saves about ${formatUsd(item.savingsUsd)} per ${state.rangeDays} days`)
        : h('span', { class: 'saving', attrs: { 'data-testid': 'saving' } }, icon('history'), ` Saves about ${formatMs(item.savedMs)} of waiting per ${state.rangeDays} days`);
    const changes = Object.entries(item.changes).map(([agent, chain]) =>
      h('li', {}, h('strong', {}, agent), ': ', chain.join(' → ')),
    );
    const busy = applying.has(item.id);
    const button = h(
      'button',
      {
        class: ['button', 'primary'],
        attrs: { type: 'button', 'data-testid': 'apply', 'aria-label': `Apply: ${item.title}`, disabled: busy, 'data-focus-key': `apply-${item.id}` },
        on: { click: () => apply(item) },
      },
      icon(busy ? 'loading' : 'check', busy ? 'codicon-modifier-spin' : undefined),
      h('span', {}, busy ? 'Applying…' : 'Apply…'),
    );
    list.appendChild(
      h(
        'li',
        { class: 'recommendation', attrs: { 'data-testid': 'recommendation', 'data-id': item.id } },
        h('div', { class: 'rec-main' }, h('h3', {}, item.title), h('p', {}, item.detail), saving, h('div', { class: 'muted small' }, 'Writes: '), h('ul', { class: 'changes' }, ...changes)),
        h('div', { class: 'rec-action' }, button),
      ),
    );
  }
  return [title, list];
}
