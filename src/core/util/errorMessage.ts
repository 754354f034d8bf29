/**
 * The text of something thrown: an Error's message, anything else as a string. It is the raw text: callers that show
 * or store it keep scrubbing it (keys, URL passwords, control characters) as before.
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
