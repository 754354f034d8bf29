/** The empty state: what the page is for and how to make the first request. */
import type { DashboardCommand } from '../../../src/webview/protocol';
import type { Child } from '../dom';
import { h, icon } from '../dom';
import { button } from '../widgets';

export function emptySection(run: (command: DashboardCommand) => void): Child[] {
  return [
    h('div', { class: 'empty-icon' }, icon('graph')),
    h('h2', { attrs: { id: 'empty-title' } }, 'No routed requests yet'),
    h('p', {}, 'Every request Model Router sends is recorded here with its model, tokens, cost and latency. To make the first one:'),
    h(
      'ol',
      {},
      h('li', {}, 'Set an API key for a provider, or start a local server (LM Studio on port 1234, Ollama on 11434).'),
      h('li', {}, 'Select some code in an editor.'),
      h('li', {}, 'Run ', h('strong', {}, 'Model Router: Explain'), ' from the Command Palette (', h('kbd', {}, 'Ctrl+Shift+P'), ' or ', h('kbd', {}, '⇧⌘P'), ').'),
    ),
    h('p', {}, 'This page updates as soon as the request finishes.'),
    h(
      'div',
      { class: 'actions' },
      button('key', 'Set API Key…', () => run('setApiKey'), 'primary', 'empty-set-key'),
      button('settings-gear', 'Open Settings', () => run('openSettings'), 'secondary', 'empty-settings'),
    ),
  ];
}
