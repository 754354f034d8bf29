/**
 * Read-only documents the extension writes into: streamed Markdown answers (`model-router-answer:`) and proposed code
 * for a diff (`model-router-proposal:`). A TextDocumentContentProvider serves them, so closing one never asks to save,
 * and an answer grows while it streams (changes are batched to one update per 50 ms).
 */
import * as vscode from 'vscode';

import { Disposable } from '../lifecycle';

export const ANSWER_SCHEME = 'model-router-answer';
export const PROPOSAL_SCHEME = 'model-router-proposal';

export class VirtualDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly changed = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this.changed.event;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private counter = 0;

  constructor() {
    super();
    this._register(vscode.workspace.registerTextDocumentContentProvider(ANSWER_SCHEME, this));
    this._register(vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, this));
    this._register({ dispose: () => this.timers.forEach((timer) => clearTimeout(timer)) });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const text = this.contents.get(uri.toString());
    if (text !== undefined) return text;
    // A tab VS Code restored after a window reload: answers are not kept (the ledger keeps the request, never the text).
    return uri.scheme === ANSWER_SCHEME
      ? '# Answer not kept\n\nAnswers live only while the window is open; this one was lost when the window reloaded. Run the command again; the request itself is in the cost dashboard (Model Router: Open Cost Dashboard).\n'
      : '';
  }

  /** A new document; `name` becomes its tab title. */
  create(scheme: string, name: string, text = ''): vscode.Uri {
    this.counter += 1;
    const uri = vscode.Uri.from({ scheme, path: `/${this.counter}/${name}` });
    this.contents.set(uri.toString(), text);
    return uri;
  }

  text(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  append(uri: vscode.Uri, text: string): void {
    this.set(uri, this.text(uri) + text, false);
  }

  /** Replaces the text; `now` fires the change at once instead of batching. */
  set(uri: vscode.Uri, text: string, now = true): void {
    const key = uri.toString();
    this.contents.set(key, text);
    const pending = this.timers.get(key);
    if (now) {
      if (pending) clearTimeout(pending);
      this.timers.delete(key);
      this.changed.fire(uri);
    } else if (!pending) {
      this.timers.set(
        key,
        setTimeout(() => {
          this.timers.delete(key);
          this.changed.fire(uri);
        }, 50),
      );
    }
  }

  /** Flushes a batched change now (end of a stream). */
  flush(uri: vscode.Uri): void {
    this.set(uri, this.text(uri), true);
  }
}
