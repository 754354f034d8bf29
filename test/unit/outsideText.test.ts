import assert from 'node:assert/strict';

import { escapeMarkdown, markdownCode, notificationText } from '../../src/core/util/markdown';
import { displayUrl, maskUrlCredentials, REDACTED, SecretScrubber, urlPasswords } from '../../src/core/util/secrets';
import { hasControlCharacters, sanitizeTerminalText, TerminalTextFilter } from '../../src/core/util/terminalText';

/** Text from outside (providers, files) made safe: for terminals, for Markdown, and free of secrets. */

/** Every way of cutting `text` into two chunks, run through a push/end filter. */
function everySplit(text: string, make: () => { push(chunk: string): string; end(): string }): string[] {
  const results: string[] = [];
  for (let cut = 0; cut <= text.length; cut++) {
    const filter = make();
    results.push(filter.push(text.slice(0, cut)) + filter.push(text.slice(cut)) + filter.end());
  }
  return results;
}

describe('terminal text', () => {
  const hostile =
    'ok\x1b]52;c;ZWNobyBwd25lZA==\x07 \x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\ \x1b[2J\x1b[H\x1b[1A' +
    '\rmodel-router: answered by anthropic/fake\x9b31m\x7f\x00end';

  it('replaces every escape, C0, DEL and C1 control with a visible stand-in; keeps \\n and \\t', () => {
    const safe = sanitizeTerminalText(hostile);
    assert.equal(hasControlCharacters(safe), false, JSON.stringify(safe));
    assert.ok(!/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(safe));
    assert.equal(safe.split('\u241B').length - 1, 8, 'each ESC is shown as ␛');
    assert.ok(safe.includes('\u2407'), 'BEL is shown as ␇');
    assert.ok(safe.includes('\u240Dmodel-router: answered'), 'a lone CR is shown, so it cannot overwrite the line');
    assert.ok(safe.includes('\uFFFD31m'), 'C1 CSI is replaced');
    assert.ok(safe.includes('\u2421\u2400end'), 'DEL and NUL are shown');
    assert.equal(sanitizeTerminalText('a\tb\nc\r\nd'), 'a\tb\nc\r\nd', 'tabs, newlines and CR LF kept');
    assert.equal(sanitizeTerminalText('plain text, ünïcödé → ✓'), 'plain text, ünïcödé → ✓');
  });

  it('gives the same result however the text is split into chunks (an ESC or CR LF across the cut)', () => {
    const text = 'a\x1b[31mred\r\nline\rover\x1b]52;c;eA==\x07\r';
    const whole = sanitizeTerminalText(text);
    assert.equal(whole, 'a\u241B[31mred\r\nline\u240Dover\u241B]52;c;eA==\u2407\u240D');
    for (const result of everySplit(text, () => new TerminalTextFilter())) assert.equal(result, whole);
  });
});

describe('secret scrubber', () => {
  const anthropic = 'sk-ant-api03-TESTSECRET-anthropic-0123456789abcdef';
  const gateway = 'gw-TESTSECRET-gateway-key-42';

  it('redacts every known value (longest first), ignores values too short to be keys', () => {
    const scrubber = new SecretScrubber([gateway, 'short', anthropic, `${gateway}-extended`]);
    assert.deepEqual(scrubber.known, [anthropic, `${gateway}-extended`, gateway]);
    assert.equal(
      scrubber.scrub(`a ${gateway}-extended b ${anthropic} c ${gateway} d short`),
      `a ${REDACTED} b ${REDACTED} c ${REDACTED} d short`,
    );
  });

  it('masks URL credentials in messages, to the last @ of the authority', () => {
    assert.equal(
      maskUrlCredentials('could not reach http://alice:hunter2@127.0.0.1:8080/v1 (fetch http://bob@h/x; https://u:p@ss@h.example?q=a@b)'),
      'could not reach http://***:***@127.0.0.1:8080/v1 (fetch http://***@h/x; https://***:***@h.example?q=a@b)',
    );
    assert.equal(maskUrlCredentials('mail alice@example.com, http://example.com/a@b'), 'mail alice@example.com, http://example.com/a@b');
    assert.equal(displayUrl('http://alice:hunter2@127.0.0.1:8080/v1'), 'http://***:***@127.0.0.1:8080/v1');
    assert.equal(displayUrl('not a url://alice:pw@x'), 'not a url://***:***@x');
    assert.deepEqual(urlPasswords('http://alice:pa%24%24word-long@h/'), ['pa%24%24word-long', 'pa$$word-long']);
    assert.deepEqual(urlPasswords('http://h/'), []);
  });

  it('the stream redactor redacts a key split across chunks at any point, and holds back only a key prefix', () => {
    const scrubber = new SecretScrubber([anthropic, gateway]);
    const text = `The key is ${anthropic}, and ${gateway} too; s`;
    const expected = `The key is ${REDACTED}, and ${REDACTED} too; s`;
    for (const result of everySplit(text, () => scrubber.stream())) assert.equal(result, expected);

    // Three-way cuts through the key as well.
    for (let a = 10; a < 40; a += 3) {
      for (let b = a; b < 70; b += 5) {
        const stream = scrubber.stream();
        const out = stream.push(text.slice(0, a)) + stream.push(text.slice(a, b)) + stream.push(text.slice(b)) + stream.end();
        assert.equal(out, expected, `cuts at ${a}, ${b}`);
      }
    }

    const stream = scrubber.stream();
    assert.equal(stream.push('hello world\n'), 'hello world\n', 'text that cannot start a key is not held');
    assert.equal(stream.push('ends with sk-an'), 'ends with ', 'a possible key start is held');
    assert.equal(stream.holding, true);
    assert.equal(stream.push('swer'), 'sk-answer', 'released when it turns out not to be a key');
    assert.equal(stream.end(), '');
  });
});

describe('markdown escaping', () => {
  const hostile = 'gpt-x](https://evil.example) ![img](https://tracker.example/p.png) <img src=x> **b** $(alert) &lt;\n\n# H';

  it('escapeMarkdown leaves no link, image, HTML, emphasis or icon syntax, on one line', () => {
    const escaped = escapeMarkdown(hostile);
    assert.ok(!escaped.includes('\n'));
    // Every punctuation character is preceded by a backslash: none can open syntax.
    assert.ok(!/(^|[^\\])[[\]()!<>*$&#`]/.test(escaped.replace(/\\\\/g, '')), escaped);
    assert.equal(escapeMarkdown('claude-haiku-5.5'), 'claude\\-haiku\\-5\\.5');
    // Unescaping gives the original text back (with line breaks as spaces).
    assert.equal(escaped.replace(/\\(.)/g, '$1'), hostile.replace(/\n+/g, ' '));
  });

  it('markdownCode fences with more backticks than the value holds, so it cannot break out', () => {
    assert.equal(markdownCode('http://127.0.0.1:8080/v1'), '`http://127.0.0.1:8080/v1`');
    assert.equal(markdownCode('a`b``c'), '```a`b``c```');
    assert.equal(markdownCode('`x'), '`` `x ``');
    assert.equal(markdownCode('x`](https://evil.example)\n\n# H'), '``x`](https://evil.example) # H``');
    assert.equal(markdownCode(''), '` `');
  });

  it('notificationText leaves no [label](target) link, which a notification would make clickable (command: too)', () => {
    const text = notificationText('HTTP 500: [Fix it](command:workbench.action.terminal.sendSequence?%7B%7D) or [docs]\n(https://evil.example)');
    assert.ok(!/\[[^\]]+\]\((?:https?:|command:|file:)/i.test(text), text);
    assert.equal(text, 'HTTP 500: [Fix it] (command:workbench.action.terminal.sendSequence?%7B%7D) or [docs] (https://evil.example)');
  });
});
