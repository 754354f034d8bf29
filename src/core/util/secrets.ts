/**
 * Keeping key values and URL passwords out of everything that leaves the program: what the CLI prints, the extension's
 * log and messages, the ledger and its exports. One {@link SecretScrubber} knows every key value in play (the CLI's
 * from the environment, the extension's from SecretStorage) and the passwords of the configured base URLs, whichever
 * provider they belong to: an error body from a gateway in front of two providers may quote the other one's key.
 */

/** Shorter values are never scrubbed: they would mangle ordinary text, and no real key or password that short matters. */
export const MIN_SECRET_LENGTH = 8;

/** What a key value is replaced by. */
export const REDACTED = '[redacted]';

/**
 * `scheme://userinfo@` in free text. The userinfo runs to the LAST `@` before the path, query, fragment or a space,
 * as a URL parser reads it (a raw `@` in a password ends nowhere earlier).
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>`]+)@/gi;

/**
 * Masks the user name and password of every URL in `text`: `http://alice:s3cret@host/` -> `http://***:***@host/`,
 * the form `providers` shows for a base URL.
 */
export function maskUrlCredentials(text: string): string {
  if (!text.includes('@')) return text;
  return text.replace(URL_CREDENTIALS, (_match: string, scheme: string, userinfo: string) =>
    `${scheme}${userinfo.includes(':') ? '***:***' : '***'}@`,
  );
}

/** A URL with its credentials masked (what a person may see of a base URL); anything not a URL is masked as text. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = parsed.username ? '***' : '';
    parsed.password = parsed.password ? '***' : '';
    return parsed.toString();
  } catch {
    return maskUrlCredentials(url);
  }
}

/** The password of a URL with credentials, as written and percent-decoded; [] for none. */
export function urlPasswords(url: string): string[] {
  try {
    const { password } = new URL(url);
    if (password === '') return [];
    let decoded = password;
    try {
      decoded = decodeURIComponent(password);
    } catch {
      // A malformed escape: the raw form is all there is.
    }
    return decoded === password ? [password] : [password, decoded];
  } catch {
    return [];
  }
}

/** Every key value and base URL password known, scrubbed from text as a whole or as a stream. */
export class SecretScrubber {
  /** Longest first, so a value that contains another is replaced whole. */
  private values: string[] = [];

  constructor(values: Iterable<string> = []) {
    this.add(...values);
  }

  /** Values to scrub from now on; those shorter than {@link MIN_SECRET_LENGTH} are ignored. */
  add(...values: readonly (string | undefined)[]): void {
    let changed = false;
    for (const value of values) {
      if (value === undefined || value.length < MIN_SECRET_LENGTH || this.values.includes(value)) continue;
      this.values.push(value);
      changed = true;
    }
    if (changed) this.values.sort((a, b) => b.length - a.length);
  }

  /** The passwords of these base URLs (absent or credential-free ones add nothing). */
  addUrlPasswords(urls: Iterable<string | undefined>): void {
    for (const url of urls) if (url !== undefined) this.add(...urlPasswords(url));
  }

  /** The values known (longest first). */
  get known(): readonly string[] {
    return this.values;
  }

  /** Known values replaced by {@link REDACTED}; nothing else changed (for an answer, which may quote URLs as examples). */
  redactValues(text: string): string {
    let out = text;
    for (const value of this.values) if (out.includes(value)) out = out.split(value).join(REDACTED);
    return out;
  }

  /** Known values replaced and the credentials of every URL masked: for messages, logs and the ledger. */
  scrub(text: string): string {
    return maskUrlCredentials(this.redactValues(text));
  }

  /** A redactor for text that arrives in chunks (see {@link StreamRedactor}). */
  stream(): StreamRedactor {
    return new StreamRedactor(this);
  }

  /**
   * The length of the longest end of `text` that is the start of a known value (and shorter than it): what a stream
   * must hold back until the next chunk says whether the value follows.
   */
  partialAtEnd(text: string): number {
    let longest = 0;
    for (const value of this.values) longest = Math.max(longest, value.length - 1);
    for (let start = Math.max(0, text.length - longest); start < text.length; start++) {
      const tail = text.slice(start);
      if (this.values.some((value) => value.length > tail.length && value.startsWith(tail))) return tail.length;
    }
    return 0;
  }
}

/**
 * Redacts known values from a stream, also when one is split across chunks: the end of each chunk that could be the
 * start of a value (at most the longest value's length - 1 characters, and only when it really is such a start) is
 * held back until the next chunk, or {@link end}, decides.
 */
export class StreamRedactor {
  private held = '';

  constructor(private readonly scrubber: SecretScrubber) {}

  /** The text of `chunk` (after what was held) that is known to be safe. */
  push(chunk: string): string {
    if (chunk === '') return '';
    const text = this.scrubber.redactValues(this.held + chunk);
    const hold = this.scrubber.partialAtEnd(text);
    this.held = text.slice(text.length - hold);
    return text.slice(0, text.length - hold);
  }

  /** Whatever is still held back: the stream ended, so it is not a key. */
  end(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  /** Whether anything is held back. */
  get holding(): boolean {
    return this.held !== '';
  }
}
