/** Small pieces the sections share: a data table, number cells, share bars, buttons and tiles. */
import { h, icon } from './dom';

/** A table with a hidden caption and a header row; rows go into `body`. A header `[label, class]` sets the column's class. */
export function table(
  caption: string,
  headers: readonly (string | readonly [string, string])[],
  testId: string,
): { table: HTMLTableElement; body: HTMLTableSectionElement } {
  const body = h('tbody');
  const element = h(
    'table',
    { class: 'data', attrs: { 'data-testid': testId } },
    h('caption', { class: 'visually-hidden' }, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...headers.map((header) => {
          const [label, cls] = typeof header === 'string' ? [header, ''] : header;
          return h('th', { class: cls || undefined, attrs: { scope: 'col' } }, label);
        }),
      ),
    ),
    body,
  );
  return { table: element, body };
}

/** A number cell; `extra`: a column that gives way in a narrow panel (dashboard.css, `.extra`). */
export function num(text: string, testId?: string, extra = false): HTMLTableCellElement {
  return h('td', { class: ['num', extra && 'extra'], attrs: testId ? { 'data-testid': testId } : {} }, text);
}

/** A bar whose width shows a share (set through the CSSOM: the CSP allows no inline style attribute). */
export function shareBar(share: number, colorVar?: string): HTMLElement {
  const fill = h('span', { class: 'share-fill' });
  fill.style.width = `${Math.max(0, Math.min(1, share)) * 100}%`;
  if (colorVar) fill.style.backgroundColor = `var(${colorVar})`;
  return h('span', { class: 'share', attrs: { 'aria-hidden': 'true' } }, fill);
}

export function button(
  iconName: string,
  label: string,
  onClick: () => void,
  kind: 'primary' | 'secondary' = 'primary',
  testId?: string,
): HTMLButtonElement {
  return h(
    'button',
    { class: ['button', kind], attrs: { type: 'button', 'data-testid': testId }, on: { click: onClick } },
    icon(iconName),
    h('span', {}, label),
  );
}

/** A figure with its label and an optional note below; `noteTestId` names the note for the tests. */
export function tile(label: string, value: string, testId: string, note?: string, noteTestId?: string): HTMLElement {
  return h(
    'div',
    { class: 'tile' },
    h('div', { class: 'tile-label' }, label),
    h('div', { class: 'tile-value', attrs: { 'data-testid': testId } }, value),
    note ? h('div', { class: 'muted small', attrs: noteTestId ? { 'data-testid': noteTestId } : {} }, note) : null,
  );
}
