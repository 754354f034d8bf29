import type { TaskType } from '../config/types';
import type { ChatMessage } from '../providers/types';

/**
 * What each task asks of the model. Tasks that produce a change (refactor, fix, document, implement, tests) ask for
 * exactly one fenced code block, so the extension can turn the answer into a diff; the others answer in Markdown.
 */
const SYSTEM: Readonly<Record<TaskType, string>> = {
  explain:
    'You are a senior engineer explaining code to a colleague. Explain what the code does, how, and anything surprising. Answer in concise Markdown.',
  review:
    'You are a meticulous code reviewer. List concrete problems (bugs, security, concurrency, performance, readability) with line references and a suggested fix for each, most important first. Answer in Markdown.',
  ask: 'You are a senior engineer. Answer the question about the given code precisely. Answer in Markdown.',
  refactor:
    'You are a senior engineer refactoring code. Keep the behaviour identical. Reply with the complete refactored code in exactly one fenced code block, then at most three short sentences on what changed.',
  fix: 'You are a senior engineer fixing a bug. Reply with the complete corrected code in exactly one fenced code block, then at most three short sentences on the cause.',
  document:
    "You are a senior engineer writing documentation comments in the language's idiomatic style. Reply with the complete code with documentation added, in exactly one fenced code block, changing nothing else.",
  implement:
    'You are a senior engineer. Complete the implementation from the signature, comments and docstring given. Reply with the complete code in exactly one fenced code block.',
  tests:
    "You are a senior engineer writing unit tests in the project's language and usual test framework. Reply with the test code in exactly one fenced code block, covering normal cases, edge cases and errors.",
};

/** Tasks whose answer is code to be shown as a diff. */
export const EDIT_TASKS: ReadonlySet<TaskType> = new Set<TaskType>(['refactor', 'fix', 'document', 'implement', 'tests']);

export interface PromptInput {
  readonly task: TaskType;
  readonly text: string;
  readonly language?: string;
  readonly instruction?: string;
  /** Where the code comes from, e.g. `src/a.ts:10-42`; helps the model refer to lines. */
  readonly source?: string;
  /** A cascade's escalation: what the previous (cheaper) answer failed, told to the stronger model. */
  readonly feedback?: string;
  /**
   * Earlier turns of a conversation (VS Code's Chat, another extension's `vscode.lm` request), sent before this
   * request's own message, oldest first. The request's own message stays the last user turn.
   */
  readonly history?: readonly ChatMessage[];
}

export interface Prompt {
  readonly system: string;
  readonly messages: readonly ChatMessage[];
}

/** A fence longer than any run of backticks inside the code, so the code cannot close it early. */
function fenceFor(text: string): string {
  let longest = 0;
  for (const match of text.matchAll(/`+/g)) longest = Math.max(longest, match[0].length);
  return '`'.repeat(Math.max(3, longest + 1));
}

export function buildPrompt(input: PromptInput): Prompt {
  const parts: string[] = [];
  if (input.instruction?.trim()) parts.push(input.instruction.trim());
  if (input.text.trim()) {
    const fence = fenceFor(input.text);
    const header = input.source ? `Code from ${input.source}:` : 'Code:';
    parts.push(`${header}\n${fence}${input.language ?? ''}\n${input.text}\n${fence}`);
  } else if (parts.length === 0) {
    parts.push('(no code selected)');
  }
  if (input.feedback?.trim()) parts.push(input.feedback.trim());
  return { system: SYSTEM[input.task], messages: [...(input.history ?? []), { role: 'user', content: parts.join('\n\n') }] };
}
