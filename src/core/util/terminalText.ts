/**
 * Text from outside (a provider's answer or error body, a config or JSONL file) made safe to print on a terminal.
 *
 * A terminal obeys control characters: ESC starts sequences that write the clipboard (OSC 52), make hidden links
 * (OSC 8), clear the screen or move the cursor, so a server could erase lines and forge a status line such as
 * "model-router: answered by ...". Every C0 control except tab and line feed, DEL and every C1 control (U+0080-U+009F:
 * a terminal in UTF-8 mode may take U+009B as CSI) is replaced by a visible stand-in, so nothing is hidden and the
 * reader can see that the server sent one:
 *   - C0 controls become their Unicode "control picture" (ESC -> U+241B "␛", BEL -> U+2407 "␇"), DEL becomes "␡";
 *   - C1 controls become U+FFFD "�".
 * Carriage return: CR LF is kept (Windows line ends are ordinary in code, CSV uses them, and nothing follows the CR on
 * its line), a lone CR becomes "␍" (it is how a line is overwritten in place: "waiting...\rmodel-router: answered"). Replacing each control on its own is what makes this streaming-safe: an escape sequence
 * split across two chunks has its ESC replaced in whichever chunk holds it, and what follows it is plain text. The
 * only state is a CR at the end of a chunk, held until the next chunk says whether LF follows.
 */

// Every control but \t (09), \n (0A) and \r (0D), which is handled on its own.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
const ANY_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|\r(?!\n)/;

function picture(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return '\uFFFD';
}

function replaceControls(text: string): string {
  return text.replace(CONTROL, picture);
}

/** One piece of text made safe for a terminal (see the module comment). */
export function sanitizeTerminalText(text: string): string {
  const filter = new TerminalTextFilter();
  return filter.push(text) + filter.end();
}

/** Whether `text` holds anything {@link sanitizeTerminalText} would change. */
export function hasControlCharacters(text: string): boolean {
  return ANY_CONTROL.test(text);
}

/** {@link sanitizeTerminalText} for a stream of chunks: the same result whichever way the text is split. */
export class TerminalTextFilter {
  private pendingCr = false;

  /** The safe text of `chunk` (a trailing CR is held back until the next chunk or {@link end}). */
  push(chunk: string): string {
    if (chunk === '') return '';
    let text = this.pendingCr ? `\r${chunk}` : chunk;
    this.pendingCr = text.endsWith('\r');
    if (this.pendingCr) text = text.slice(0, -1);
    return replaceControls(text.replace(/\r(?!\n)/g, '\u240D'));
  }

  /** What is still held back (a lone CR at the very end), made visible. */
  end(): string {
    if (!this.pendingCr) return '';
    this.pendingCr = false;
    return '\u240D';
  }
}
