/**
 * Turning a model's answer to an edit task (refactor, fix, document, implement, tests) into code: the prompts ask for
 * exactly one fenced code block, but models sometimes add a second one (usage) or none at all.
 */

export interface ExtractedCode {
  readonly code: string;
  /**
   * How it was found: the only block, the longest of several, a block with one fence line only (the answer
   * continued a fence the prompt opened, so it ends with a closing fence; or it was cut off after the opening one),
   * or the whole answer (no fence).
   */
  readonly from: 'block' | 'longest-block' | 'half-fenced' | 'whole-answer';
}

const FENCE = /^([ \t]*)(`{3,}|~{3,})[^\n`]*\n([\s\S]*?)\n?[ \t]*\2[ \t]*$/gm;
/** A line that is only a fence, with or without an info string (`python`). */
const FENCE_LINE = /^[ \t]*(?:`{3,}|~{3,})([^\n`]*)$/gm;

/** The code of the answer, or undefined when the answer is empty. */
export function extractCode(answer: string): ExtractedCode | undefined {
  const blocks: string[] = [];
  for (const match of answer.matchAll(FENCE)) blocks.push(match[3] ?? '');
  if (blocks.length === 1) return { code: blocks[0]!, from: 'block' };
  if (blocks.length > 1) return { code: blocks.reduce((a, b) => (b.length > a.length ? b : a)), from: 'longest-block' };
  const half = halfFenced(answer);
  if (half !== undefined) return { code: half, from: 'half-fenced' };
  const trimmed = answer.trim();
  return trimmed === '' ? undefined : { code: trimmed, from: 'whole-answer' };
}

/**
 * An answer with exactly one fence line: a bare fence after some text closes a block the prompt opened (the code is
 * before it, prose may follow); a fence with an info string, or one with nothing before it, opens a block that was
 * never closed (the code is after it). Undefined when there is not exactly one fence line or that side is empty.
 */
function halfFenced(answer: string): string | undefined {
  const lines = [...answer.matchAll(FENCE_LINE)];
  if (lines.length !== 1) return undefined;
  const line = lines[0]!;
  const before = answer.slice(0, line.index);
  const after = answer.slice(line.index + line[0].length).replace(/^\r?\n/, '');
  const opens = (line[1] ?? '').trim() !== '' || before.trim() === '';
  const code = (opens ? after : before).replace(/^\s*\n/, '').replace(/\s+$/, '');
  return code.trim() === '' ? undefined : code;
}

/**
 * The replacement text keeping the original's indentation and trailing newline: a model often drops the leading
 * indentation of a method it was given, which would otherwise shift it out of its class.
 */
export function fitIndentation(original: string, code: string): string {
  const indentOf = (text: string): string => /^[ \t]*/.exec(text.split('\n').find((line) => line.trim() !== '') ?? '')?.[0] ?? '';
  const want = indentOf(original);
  const have = indentOf(code);
  let result = code;
  if (want !== have && have === '' && want !== '') {
    result = code
      .split('\n')
      .map((line) => (line.trim() === '' ? line : want + line))
      .join('\n');
  }
  if (original.endsWith('\n') && !result.endsWith('\n')) result += '\n';
  if (!original.endsWith('\n') && result.endsWith('\n')) result = result.replace(/\n+$/, '');
  return result;
}

/**
 * Where the original text is now, when the document changed while the model answered: its old offset if the text is
 * still there, else its only occurrence; undefined when it is gone or ambiguous (the caller must not guess).
 */
export function relocate(documentText: string, original: string, oldOffset: number): number | undefined {
  if (documentText.startsWith(original, oldOffset)) return oldOffset;
  const first = documentText.indexOf(original);
  if (first < 0) return undefined;
  return documentText.indexOf(original, first + 1) < 0 ? first : undefined;
}
