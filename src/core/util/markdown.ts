/**
 * Values from configuration files, settings and the ledger (provider labels, model ids, base URLs, agent chains)
 * placed into Markdown, e.g. the tooltips of the tree and the status bar. Unescaped, a model id such as
 * `x](https://evil.example) ![](https://tracker.example/p.png)` becomes a link and a remote image. Both helpers make a
 * value render as the literal text it is, on one line.
 */

const LINE_BREAKS_AND_CONTROLS = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]+/g;

/** One line: line breaks and control characters become one space (a blank line would end the paragraph). */
function oneLine(text: string): string {
  return text.replace(LINE_BREAKS_AND_CONTROLS, ' ');
}

/**
 * `text` as literal Markdown text: every ASCII punctuation character backslash-escaped (CommonMark lets any be, so
 * nothing opens a link, image, emphasis, HTML tag, entity, heading or list, and `$(icon)` stays text when theme icons
 * are on), on one line.
 */
export function escapeMarkdown(text: string): string {
  return oneLine(text).replace(/[!-/:-@[-`{-~]/g, '\\$&');
}

/**
 * `text` as an inline code span: fenced with one backtick more than its longest run of backticks (so it cannot close
 * the span early), padded with a space when it starts or ends with a backtick, on one line. Inside a code span
 * nothing is Markdown, so links and images cannot be formed.
 */
export function markdownCode(text: string): string {
  const value = oneLine(text);
  if (value === '') return '` `';
  const longestRun = Math.max(0, ...(value.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${value}${pad}${fence}`;
}

/**
 * `text` for a VS Code notification (showErrorMessage and friends). Notifications turn `[label](target)` into a link,
 * and a `command:` target into a command that runs when clicked, so an error body a server chose must not form one:
 * `](` becomes `] (`, which no longer is link syntax and reads the same. Line breaks and controls become spaces.
 */
export function notificationText(text: string): string {
  return oneLine(text).replace(/\]\s*\(/g, '] (');
}
