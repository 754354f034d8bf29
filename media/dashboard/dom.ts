/**
 * A tiny element builder. Text goes in through `textContent` only and attributes through `setAttribute`: ledger
 * strings (agent names, models, error messages) are data from outside and never become markup. There is no
 * `innerHTML` anywhere in the page.
 */

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  /** Class names (falsy entries dropped). */
  readonly class?: string | readonly (string | false | null | undefined)[];
  /** Attributes, set with setAttribute (values are strings; `true` sets an empty attribute; false/undefined skip). */
  readonly attrs?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Event listeners. */
  readonly on?: Readonly<Partial<Record<keyof HTMLElementEventMap, (event: Event) => void>>>;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  const classes = typeof props.class === 'string' ? [props.class] : (props.class ?? []);
  for (const name of classes) if (name) element.classList.add(...name.split(' ').filter(Boolean));
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const [name, listener] of Object.entries(props.on ?? {})) {
    if (listener) element.addEventListener(name, listener);
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** A codicon (decorative: hidden from screen readers; give the control its own label). */
export function icon(name: string, extra?: string): HTMLSpanElement {
  return h('span', { class: ['codicon', `codicon-${name}`, extra], attrs: { 'aria-hidden': 'true' } });
}

/** Replaces the children of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}
