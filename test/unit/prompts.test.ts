import assert from 'node:assert/strict';

import { buildPrompt, EDIT_TASKS } from '../../src/core/routing/prompts';

describe('prompts', () => {
  it('puts the instruction before the code, fenced with the language', () => {
    const prompt = buildPrompt({ task: 'fix', text: 'let x = 1', language: 'ts', instruction: 'x must be const', source: 'a.ts:3-3' });
    assert.equal(prompt.messages.length, 1);
    assert.equal(prompt.messages[0]!.content, 'x must be const\n\nCode from a.ts:3-3:\n```ts\nlet x = 1\n```');
    assert.match(prompt.system, /exactly one fenced code block/);
  });

  it('uses a fence longer than any backtick run inside the code, so the code cannot end the block', () => {
    const code = 'const md = "```js\\nx\\n```";\nconst t = `````;';
    const content = buildPrompt({ task: 'explain', text: code }).messages[0]!.content;
    assert.ok(content.startsWith('Code:\n``````\n'), content);
    assert.ok(content.endsWith('\n``````'));
  });

  it('asks a question without code when nothing is selected', () => {
    assert.equal(buildPrompt({ task: 'ask', text: '  ', instruction: 'What is a monad?' }).messages[0]!.content, 'What is a monad?');
    assert.equal(buildPrompt({ task: 'ask', text: '' }).messages[0]!.content, '(no code selected)');
  });

  it('sends the earlier turns of a conversation first, oldest first, with the question as the last user turn', () => {
    const prompt = buildPrompt({
      task: 'ask',
      text: '',
      instruction: 'And when does it close again?',
      history: [
        { role: 'user', content: 'What does a circuit breaker do?' },
        { role: 'assistant', content: 'It stops calls to a failing service.' },
      ],
    });
    assert.deepEqual(prompt.messages, [
      { role: 'user', content: 'What does a circuit breaker do?' },
      { role: 'assistant', content: 'It stops calls to a failing service.' },
      { role: 'user', content: 'And when does it close again?' },
    ]);
  });

  it('marks which tasks produce an edit', () => {
    assert.deepEqual([...EDIT_TASKS].sort(), ['document', 'fix', 'implement', 'refactor', 'tests']);
  });
});
