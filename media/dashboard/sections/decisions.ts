/**
 * The latest routing decisions, newest first; a row opens to show its attempts, the reasons for its tier, a cascade's
 * checks and the failures they found.
 */
import type { DashboardCascade, DashboardData, DashboardDecision, DashboardVerdict } from '../../../src/core/ledger/dashboard';
import type { Outcome } from '../../../src/core/routing/decision';
import { formatMs, formatUsd } from '../../../src/core/util/format';
import type { Child } from '../dom';
import { h, icon } from '../dom';
import { commandLabel, formatFailure, formatTime, formatTimestamp, formatTokens, formatVerdict } from '../format';
import { button, num, table } from '../widgets';

/** The colour of a badge (dashboard.css `.tone-*`). */
type Tone = 'ok' | 'bad' | 'warn' | 'muted';

/** Each outcome the router records (decision.ts `Outcome`), with its codicon and tone: the compiler wants them all. */
const OUTCOME_ICONS: Readonly<Record<Outcome, readonly [string, Tone]>> = {
  answered: ['pass', 'ok'],
  failed: ['error', 'bad'],
  // The stream broke off after part of an answer.
  interrupted: ['debug-disconnect', 'warn'],
  // The user cancelled.
  aborted: ['circle-slash', 'muted'],
};

/** The ledger stores the outcome as text (a row is data from outside): only the router's outcomes get their icon. */
function isOutcome(value: string): value is Outcome {
  return Object.prototype.hasOwnProperty.call(OUTCOME_ICONS, value);
}

function outcomeBadge(outcome: string): HTMLElement {
  const [name, tone] = isOutcome(outcome) ? OUTCOME_ICONS[outcome] : (['info', 'muted'] as const);
  return h('span', { class: ['outcome', `tone-${tone}`] }, icon(name), ` ${outcome}`);
}

const VERDICT_TONES: Readonly<Record<DashboardVerdict['verdict'], Tone>> = { pass: 'ok', fail: 'bad', unknown: 'muted' };

/** What a verdict's tooltip says: the counts, then each stored failure (ledger text: an attribute, never markup). */
function verdictTitle(verdict: DashboardVerdict): string {
  const head =
    verdict.verdict === 'pass'
      ? `Its code passed ${verdict.passed} of ${verdict.checks} checks (examples, asserts or tests the request carries).`
      : verdict.verdict === 'fail'
        ? `Its code failed ${verdict.failed} of ${Math.max(verdict.checks, verdict.failed)} checks.`
        : 'Nothing in the request could be run to check it.';
  const failures = (verdict.failures ?? []).map((f) => `• ${formatFailure(f)}`);
  const more = verdict.failed > failures.length && failures.length > 0 ? [`• and ${verdict.failed - failures.length} more`] : [];
  return [head, ...failures, ...more].join('\n');
}

/** "✓ 3/3 checked" and friends, with the failures in the tooltip. */
function verdictBadge(verdict: DashboardVerdict): HTMLElement {
  return h(
    'span',
    { class: ['verdict', `tone-${VERDICT_TONES[verdict.verdict]}`], attrs: { title: verdictTitle(verdict), 'data-testid': 'verdict' } },
    formatVerdict(verdict),
  );
}

const KEPT_WORDS: Readonly<Record<NonNullable<DashboardCascade['kept']>, string>> = {
  pass: 'an answer that passed its checks',
  unknown: 'an answer nothing could check',
  'best-failing': 'the answer that failed fewest checks (none passed them all)',
};

export interface DecisionsProps {
  readonly data: DashboardData;
  /** Pages loaded with "Load older decisions", below the snapshot's first page. */
  readonly older: readonly DashboardDecision[];
  readonly more: boolean;
  /** Ids of the rows shown open. */
  readonly expanded: ReadonlySet<string>;
  readonly toggle: (id: string) => void;
  readonly loadMore: () => void;
}

export function decisionsSection({ data, older, more, expanded, toggle, loadMore }: DecisionsProps): Child[] {
  const decisions = [...data.decisions.decisions, ...older];
  const { table: element, body } = table(
    'Latest routing decisions, newest first',
    [['', 'expander'], 'Time', 'Command · agent', 'Complexity', 'Model', ['Fallbacks', 'num extra'], ['Tokens in / out', 'num extra'], ['Cost', 'num'], ['Latency', 'num extra'], 'Outcome'],
    'decisions-table',
  );
  decisions.forEach((decision, index) => {
    const open = expanded.has(decision.id);
    const detailsId = `attempts-${index}`;
    const time = formatTime(decision.startedAt, data.timeZone, data.generatedAt);
    const toggleButton = h(
      'button',
      {
        class: 'icon-button',
        attrs: {
          type: 'button',
          'aria-expanded': open ? 'true' : 'false',
          'aria-controls': detailsId,
          'aria-label': `${open ? 'Hide' : 'Show'} the attempts of the request at ${time}`,
          'data-focus-key': `decision-${decision.id}`,
          'data-testid': 'expand',
        },
        on: { click: () => toggle(decision.id) },
      },
      icon(open ? 'chevron-down' : 'chevron-right'),
    );
    const model = decision.model ? `${decision.provider ?? ''}/${decision.model}` : '—';
    body.appendChild(
      h(
        'tr',
        { class: ['decision', open && 'open'], attrs: { 'data-testid': 'decision-row', 'data-id': decision.id } },
        h('td', { class: 'expander' }, toggleButton),
        h('td', { class: 'time', attrs: { title: formatTimestamp(decision.startedAt, data.timeZone), 'data-testid': 'time' } }, time),
        h('td', { attrs: { 'data-testid': 'command' } }, commandLabel(decision.command, decision.task), h('span', { class: 'muted' }, ` · ${decision.agent}`)),
        h(
          'td',
          { attrs: { title: decision.reasons.join('; '), 'data-testid': 'complexity' } },
          decision.complexity === null ? '—' : String(decision.complexity),
          h('span', { class: 'tier' }, decision.tier),
          decision.escalated ? h('span', { class: 'tag' }, 'escalated') : null,
          decision.escalatedBy === 'verification' ? h('span', { class: ['tag', 'by-check'], attrs: { 'data-testid': 'escalated-by' } }, '↑ by a failed check') : null,
          decision.downgraded ? h('span', { class: 'tag' }, 'downgraded') : null,
          decision.forced ? h('span', { class: 'tag' }, 'forced') : null,
        ),
        h('td', { class: 'name', attrs: { 'data-testid': 'model' } }, model),
        num(decision.fallbacks > 0 ? String(decision.fallbacks) : '0', 'fallbacks', true),
        num(`${formatTokens(decision.inputTokens)} / ${formatTokens(decision.outputTokens)}`, 'tokens', true),
        num(
          decision.attempts.some((a) => a.priceUnknown === true) ? `${formatUsd(decision.costUsd)} (price unknown)` : formatUsd(decision.costUsd),
          'cost',
        ),
        num(formatMs(decision.latencyMs), 'latency', true),
        h(
          'td',
          { attrs: { 'data-testid': 'outcome' } },
          outcomeBadge(decision.outcome),
          decision.verdict ? h('div', {}, verdictBadge(decision.verdict)) : null,
          decision.cached
            ? h('div', { class: 'muted small', attrs: { 'data-testid': 'cached' } }, `cached from ${formatTime(decision.cached.from, data.timeZone, data.generatedAt)} (saved ${formatUsd(decision.cached.savedUsd)})`)
            : null,
        ),
      ),
    );
    const details = h('tr', { class: 'attempts', attrs: { id: detailsId, hidden: !open, 'data-testid': 'attempts-row' } });
    if (open) details.appendChild(h('td', { attrs: { colspan: 10 } }, attemptsOf(decision, data.timeZone)));
    body.appendChild(details);
  });
  return [
    h('h2', { attrs: { id: 'decisions-title' } }, 'Latest routing decisions'),
    decisions.length === 0 ? h('p', { class: 'muted' }, 'No decisions yet.') : h('div', { class: 'scroll' }, element),
    more ? h('div', { class: 'more' }, button('chevron-down', 'Load older decisions', loadMore, 'secondary', 'load-more')) : null,
  ];
}

function attemptsOf(decision: DashboardDecision, timeZone: string): HTMLElement {
  const { table: element, body } = table(
    'Attempts of this request, in order',
    ['#', ['Started', 'extra'], 'Provider / model', 'Key', 'Result', ['HTTP', 'num'], ['Latency', 'num'], ['First token', 'num'], ['Tokens in / out', 'num'], ['Cost', 'num']],
    'attempts-table',
  );
  for (const a of decision.attempts) {
    body.appendChild(
      h(
        'tr',
        { attrs: { 'data-testid': 'attempt-row' } },
        h('td', {}, String(a.seq + 1)),
        h('td', { class: 'extra' }, formatTime(a.startedAt, timeZone, decision.startedAt)),
        h('td', { class: 'name' }, `${a.provider}/${a.model}`),
        h('td', {}, a.keyId),
        h(
          'td',
          { attrs: { 'data-testid': 'attempt-result' } },
          a.status === 'ok' ? outcomeBadge('answered') : h('span', { class: ['outcome', 'tone-bad'] }, icon('error'), ` ${a.errorKind ?? 'error'}`),
          a.verification ? h('div', {}, verdictBadge(a.verification)) : null,
        ),
        num(a.httpStatus === null ? '—' : String(a.httpStatus)),
        num(formatMs(a.latencyMs)),
        num(formatMs(a.ttftMs)),
        num(`${formatTokens(a.inputTokens)} / ${formatTokens(a.outputTokens)}`),
        num(a.priceUnknown === true ? `${formatUsd(a.costUsd)} (price unknown: upper estimate)` : formatUsd(a.costUsd)),
      ),
    );
  }
  const facts = h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Complexity'),
    h('dd', {}, decision.complexity === null ? 'not scored' : `${decision.complexity} / 10 → ${decision.requestedTier}${decision.tier !== decision.requestedTier ? `, sent ${decision.tier}` : ''}`),
    h('dt', {}, 'Why'),
    h('dd', {}, decision.reasons.length > 0 ? decision.reasons.join(', ') : '—'),
    h('dt', {}, 'Strategy'),
    h('dd', {}, decision.strategy),
    decision.cascade ? h('dt', {}, 'Checks') : null,
    decision.cascade
      ? h(
          'dd',
          { attrs: { 'data-testid': 'cascade' } },
          `${decision.cascade.steps === 1 ? '1 answer' : `${decision.cascade.steps} answers`} checked, from the ${decision.cascade.startTier} tier` +
            (decision.escalatedBy === 'verification' ? `, escalated to ${decision.tier} by a failed check` : '') +
            `; shown: ${decision.cascade.kept === null ? 'none (no answer)' : KEPT_WORDS[decision.cascade.kept]}`,
        )
      : null,
    decision.errorMessage ? h('dt', {}, 'Error') : null,
    decision.errorMessage ? h('dd', { class: 'tone-bad' }, decision.errorKind ? `${decision.errorKind}: ${decision.errorMessage}` : decision.errorMessage) : null,
  );
  const failed = decision.attempts.filter((a) => (a.verification?.failures?.length ?? 0) > 0);
  const failures = failed.length > 0
    ? h(
        'div',
        { class: 'failures', attrs: { 'data-testid': 'failures' } },
        ...failed.map((a) =>
          h(
            'div',
            {},
            h('div', { class: 'muted small' }, `Failed checks of attempt ${a.seq + 1} (${a.provider}/${a.model}):`),
            h('ul', {}, ...a.verification!.failures!.map((f) => h('li', { attrs: { 'data-testid': 'failure' } }, formatFailure(f)))),
          ),
        ),
      )
    : null;
  return h('div', { class: 'attempts-box' }, facts, decision.attempts.length > 0 ? element : h('p', { class: 'muted' }, 'No attempt was made.'), failures);
}
