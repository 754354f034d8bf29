/**
 * The extension's log: the "Model Router" LogOutputChannel, with the `modelRouter.log.level` setting as a floor (the
 * channel's own level, "Developer: Set Log Level…", applies too), and every message scrubbed of key values the
 * extension knows, of every provider, and of URL credentials (defence in depth: errors are already redacted where
 * they are made).
 */
import type * as vscode from 'vscode';

import { SecretScrubber } from '../core/util/secrets';

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const ORDER: Readonly<Record<LogLevelName, number>> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

export class Log {
  private level: LogLevelName = 'info';
  /** Every key value the extension has seen (and base URL passwords): also what the ledger records are scrubbed of. */
  readonly secrets = new SecretScrubber();

  constructor(readonly channel: vscode.LogOutputChannel) {}

  setLevel(level: LogLevelName): void {
    this.level = level;
  }

  /** A key value to scrub from every message from now on. */
  addSecret(secret: string): void {
    this.secrets.add(secret);
  }

  /** Scrubs known secrets and URL credentials from a text meant for a person (notifications, documents). */
  clean(text: string): string {
    return this.secrets.scrub(text);
  }

  trace(message: string): void {
    if (this.allows('trace')) this.channel.trace(this.clean(message));
  }
  debug(message: string): void {
    if (this.allows('debug')) this.channel.debug(this.clean(message));
  }
  info(message: string): void {
    if (this.allows('info')) this.channel.info(this.clean(message));
  }
  warn(message: string): void {
    if (this.allows('warn')) this.channel.warn(this.clean(message));
  }
  error(message: string | Error): void {
    const text = message instanceof Error ? (message.stack ?? message.message) : message;
    this.channel.error(this.clean(text));
  }

  show(): void {
    this.channel.show(true);
  }

  private allows(level: LogLevelName): boolean {
    return ORDER[level] >= ORDER[this.level];
  }
}
