/** The header's range switch: one radio button per range, the current one checked and the only tab stop. */
import type { DashboardRange } from '../../../src/core/ledger/dashboard';
import { RANGES } from '../../../src/webview/protocol';
import { h } from '../dom';

export interface RangeActions {
  readonly select: (days: DashboardRange) => void;
  readonly key: (event: KeyboardEvent, days: DashboardRange) => void;
}

export function rangeButtons(current: DashboardRange, actions: RangeActions): HTMLButtonElement[] {
  return RANGES.map((days) => {
    const checked = days === current;
    return h(
      'button',
      {
        class: ['segment', checked && 'checked'],
        attrs: {
          type: 'button',
          role: 'radio',
          'aria-checked': checked ? 'true' : 'false',
          tabindex: checked ? 0 : -1,
          'data-testid': `range-${days}`,
          'data-focus-key': `range-${days}`,
        },
        on: {
          click: () => actions.select(days),
          keydown: (event) => actions.key(event as KeyboardEvent, days),
        },
      },
      `${days} days`,
    );
  });
}

/** The range an arrow key moves to from `days` (wrapping), or undefined for any other key. */
export function rangeAfterKey(key: string, days: DashboardRange): DashboardRange | undefined {
  const step = key === 'ArrowRight' || key === 'ArrowDown' ? 1 : key === 'ArrowLeft' || key === 'ArrowUp' ? -1 : 0;
  if (step === 0) return undefined;
  return RANGES[(RANGES.indexOf(days) + step + RANGES.length) % RANGES.length]!;
}
