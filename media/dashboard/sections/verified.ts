/** Verified routing (verify-then-escalate): how many requests stayed on the cheap tier, and what that saved. */
import type { DashboardRange, DashboardVerified } from '../../../src/core/ledger/dashboard';
import { formatUsd } from '../../../src/core/util/format';
import type { Child } from '../dom';
import { h, icon } from '../dom';
import { formatCount, formatPercent } from '../format';
import { tile } from '../widgets';

/** The range's figures as the host sent them (`verified` message); undefined while they are being counted. */
export type VerifiedState =
  | { readonly rangeDays: DashboardRange; readonly state: 'ready'; readonly data: DashboardVerified }
  | { readonly rangeDays: DashboardRange; readonly state: 'error'; readonly message: string };

export function verifiedSection(verified: VerifiedState | undefined): Child[] {
  const title = h('h2', { attrs: { id: 'verified-title' } }, icon('verified'), ' Verified routing');
  if (!verified) {
    return [title, h('p', { class: 'muted', attrs: { 'data-testid': 'verified-loading' } }, icon('loading', 'codicon-modifier-spin'), ' Counting verified requests…')];
  }
  if (verified.state === 'error') {
    return [title, h('p', { class: 'tone-over' }, icon('error'), ` Could not count verified requests: ${verified.message}`)];
  }
  const v = verified.data;
  if (v.requests === 0) {
    return [
      title,
      h(
        'p',
        { class: 'muted', attrs: { 'data-testid': 'verified-empty' } },
        `No verified requests in the last ${verified.rangeDays} days. With `,
        h('code', {}, 'modelRouter.verify.run'),
        ' set to ask or on, Implement, Fix, Refactor and Write Tests are answered by a cheap model first; its code is checked by running the examples, asserts and tests the request carries, and only a failed check sends the request to a stronger model. This section then shows how many answers stayed on the cheap tier and what that saved.',
      ),
    ];
  }
  const figure = (label: string, value: string, testId: string, note?: string): HTMLElement => tile(label, value, testId, note, `${testId}-note`);
  const share = (n: number): string => `${formatPercent(n / v.requests)} of them`;
  const saved = v.savedNano / 1e9;
  const savedNote =
    v.estimated === 0
      ? 'no request has a strongest-tier estimate'
      : `${formatUsd(v.costNano / 1e9)} spent against ${formatUsd(v.strongNano / 1e9)} on the strongest tier` +
        (v.estimated < v.requests ? ` (${formatCount(v.estimated)} of ${formatCount(v.requests)} requests have an estimate)` : '');
  return [
    title,
    h('p', { class: 'muted small' }, 'Edit requests answered by the cheapest tier first, its code checked by running what the request says it must do; a failed check escalates one tier.'),
    v.isolation
      ? h(
          'p',
          { class: v.isolation.level === 'none' ? 'small tone-over' : 'muted small', attrs: { 'data-testid': 'verified-isolation' } },
          icon(v.isolation.level === 'none' ? 'warning' : 'shield'),
          // The description is this extension's own text (isolation.ts), shown as text like everything here.
          v.isolation.level === 'none' ? ` Checks run NOT isolated here: ${v.isolation.description}.` : ` Checks run isolated here (${v.isolation.method}): ${v.isolation.description}.`,
        )
      : null,
    h(
      'div',
      { class: 'summary' },
      figure('Verified requests', formatCount(v.requests), 'verified-requests', v.unanswered > 0 ? `${formatCount(v.unanswered)} without an answer` : undefined),
      figure('Kept on the first tier', formatCount(v.keptFirst), 'verified-kept', `${share(v.keptFirst)} · ${formatCount(v.keptFirstPassed)} passed their checks`),
      figure('Escalated by a failed check', formatCount(v.escalated), 'verified-escalated', share(v.escalated)),
      figure('Shown although failing', formatCount(v.bestFailing), 'verified-failing', v.notChecked > 0 ? `${formatCount(v.notChecked)} kept without a check` : share(v.bestFailing)),
      figure(saved < 0 ? 'Cost more than the strongest tier' : 'Saved', formatUsd(Math.abs(saved)), 'verified-saved', savedNote),
    ),
  ];
}
