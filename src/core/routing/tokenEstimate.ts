/**
 * A fast token estimate for code and prose, without a tokenizer's vocabulary. It counts what BPE tokenizers mostly
 * turn into one token each: runs of word characters (long identifiers split into several), punctuation characters,
 * line breaks with their indentation, and non-ASCII characters.
 *
 * Calibration: least squares on relative error against the mean of OpenAI's o200k_base and cl100k_base counts over
 * 559 texts (TypeScript and JavaScript sources, Python sources, MBPP tasks). Median error 8%, 90th percentile 20%;
 * `chars / 4` has 18% and 42% on the same texts. One pass, no allocation.
 */

/** Tokens per run of word characters (`[A-Za-z0-9_$]+`). */
const PER_WORD = 1.35;
/** Extra tokens per character of a word beyond {@link LONG_WORD}: long identifiers split into pieces. */
const PER_LONG_WORD_CHAR = 0.15;
const LONG_WORD = 8;
/** Tokens per ASCII punctuation character (operators and brackets often merge in pairs). */
const PER_PUNCTUATION = 0.5;
/** Tokens per line break (the break and its indentation usually make one token). */
const PER_NEWLINE = 0.8;
/** Tokens per non-ASCII character (accents merge, CJK and emoji do not: a cautious middle). */
const PER_NON_ASCII = 1.5;

/** What {@link tokensFromCounts} needs; a scanner that already walks the text can count these itself. */
export interface TokenCounts {
  /** Runs of word characters. */
  readonly words: number;
  /** Sum over words of the characters beyond the 8th. */
  readonly longWordExtra: number;
  readonly punctuation: number;
  readonly newlines: number;
  readonly nonAscii: number;
}

/** The estimate from counts, rounded; any non-empty text is at least one token. */
export function tokensFromCounts(counts: TokenCounts): number {
  const estimate =
    counts.words * PER_WORD +
    counts.longWordExtra * PER_LONG_WORD_CHAR +
    counts.punctuation * PER_PUNCTUATION +
    counts.newlines * PER_NEWLINE +
    counts.nonAscii * PER_NON_ASCII;
  return estimate <= 0 ? 0 : Math.max(1, Math.round(estimate));
}

/** Whether a char code belongs to a word run: ASCII letters, digits, `_` and `$`. */
export function isWordCode(code: number): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 57) ||
    code === 95 ||
    code === 36
  );
}

/**
 * The estimate of a text that arrives in pieces (a streamed answer), without keeping the text: a word split across two
 * pieces counts once, as it would in the whole text. `estimateTokens(a + b)` equals a counter fed `a` then `b`.
 */
export class TokenCounter {
  private words = 0;
  private longWordExtra = 0;
  private punctuation = 0;
  private newlines = 0;
  private nonAscii = 0;
  /** Length of the word run still open at the end of the last piece. */
  private run = 0;

  add(text: string): void {
    let run = this.run;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (isWordCode(code)) {
        run++;
        continue;
      }
      if (run > 0) {
        this.words++;
        if (run > LONG_WORD) this.longWordExtra += run - LONG_WORD;
        run = 0;
      }
      if (code === 10) this.newlines++;
      else if (code === 32 || code === 9 || code === 13) continue;
      else if (code >= 128) this.nonAscii++;
      else this.punctuation++;
    }
    this.run = run;
  }

  /** The estimate of everything added so far. */
  get tokens(): number {
    const open = this.run > 0;
    return tokensFromCounts({
      words: this.words + (open ? 1 : 0),
      longWordExtra: this.longWordExtra + (this.run > LONG_WORD ? this.run - LONG_WORD : 0),
      punctuation: this.punctuation,
      newlines: this.newlines,
      nonAscii: this.nonAscii,
    });
  }
}

/** Estimated tokens of a text (code or prose) for a typical modern BPE tokenizer. */
export function estimateTokens(text: string): number {
  const counter = new TokenCounter();
  counter.add(text);
  return counter.tokens;
}

/** The word length beyond which {@link PER_LONG_WORD_CHAR} applies (for scanners counting {@link TokenCounts}). */
export const LONG_WORD_LENGTH = LONG_WORD;
