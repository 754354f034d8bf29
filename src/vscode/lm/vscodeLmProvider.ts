/**
 * The `vscode-lm` provider: the language models VS Code offers to extensions (`vscode.lm.selectChatModels`: Copilot's,
 * or any other extension's) as a provider of the router, usable in agent chains like any other. A model of a tier is
 * written `vendor/family` in the user config (`copilot/gpt-4o-mini`), or just `vendor`.
 *
 * - Our own vendor is never a target: a request to `model-router/...` fails at once (it would route to itself).
 * - Consent: the first request to another extension's models makes VS Code ask the user. A refusal (or a dismissed
 *   dialog) is remembered per vendor for this window, and every later request fails at once with that reason, not
 *   retryable, so the router moves on to the next provider without asking again (no prompt loop).
 * - Cost: the provider is free in the ledger unless the user gives it a price (`unknownModelPrice`), see layering.ts.
 *   VS Code's stable API reports neither token usage nor a premium-request multiplier, so the router estimates the
 *   tokens and no multiplier is recorded.
 * - Only text goes both ways (the router's messages are text).
 */
import * as vscode from 'vscode';

import type { ErrorKind } from '../../core/providers/errors';
import { ProviderError } from '../../core/providers/errors';
import type { ChatProvider, ChatRequest, ChatResult, ConnectionResult, StreamChunk, Usage } from '../../core/providers/types';
import { ZERO_USAGE } from '../../core/providers/types';
import { errorMessage } from '../../core/util/errorMessage';
import { LM_VENDOR } from './routerChatProvider';

export const VSCODE_LM_PROTOCOL = 'vscode-lm';

/** Vendors whose consent the user refused in this window (shared by every `vscode-lm` provider of the config). */
export type ConsentMemory = Map<string, string>;

/** `vendor/family` (or `vendor`) of a tier's model, as the config writes it. */
export function parseModelSelector(model: string): { vendor: string; family?: string } | undefined {
  const [vendor, ...rest] = model.split('/');
  const family = rest.join('/');
  if (!vendor || vendor.trim() !== vendor) return undefined;
  return family ? { vendor, family } : { vendor };
}

export class VscodeLmProvider implements ChatProvider {
  readonly protocol = VSCODE_LM_PROTOCOL;

  constructor(
    readonly id: string,
    private readonly refused: ConsentMemory,
    private readonly justification = 'Model Router routes this request to a model of yours, as your Model Router agent chain says.',
  ) {}

  private fail(kind: ErrorKind, message: string, retryable = false): ProviderError {
    return new ProviderError({ provider: this.id, kind, message, retryable });
  }

  /** The VS Code model for `model`; throws a ProviderError saying what is missing. */
  private async select(model: string): Promise<vscode.LanguageModelChat> {
    const selector = parseModelSelector(model);
    if (!selector) throw this.fail('bad_request', `"${model}" is not a VS Code model selector: write vendor/family, e.g. copilot/gpt-4o-mini`);
    if (selector.vendor === LM_VENDOR) {
      throw this.fail('bad_request', `${this.id} cannot use Model Router's own models (${model}): the request would route to itself`);
    }
    const refusal = this.refused.get(selector.vendor);
    if (refusal !== undefined) throw this.fail('auth', refusal);
    const models = (await vscode.lm.selectChatModels(selector)).filter((m) => m.vendor !== LM_VENDOR);
    const chosen = models[0];
    if (!chosen) {
      throw this.fail('bad_request', `VS Code offers no language model of vendor "${selector.vendor}"${selector.family ? ` and family "${selector.family}"` : ''} (is the extension that provides it installed and signed in?)`);
    }
    return chosen;
  }

  async *stream(request: ChatRequest): AsyncGenerator<StreamChunk, void, undefined> {
    if (request.signal?.aborted) throw this.fail('aborted', 'The request was cancelled.');
    const model = await this.select(request.model);
    const messages: vscode.LanguageModelChatMessage[] = [];
    // The stable API has no system role: the system prompt goes first, as a user message.
    if (request.system) messages.push(vscode.LanguageModelChatMessage.User(request.system));
    for (const message of request.messages) {
      messages.push(message.role === 'assistant' ? vscode.LanguageModelChatMessage.Assistant(message.content) : vscode.LanguageModelChatMessage.User(message.content));
    }
    const cancellation = new vscode.CancellationTokenSource();
    const onAbort = (): void => cancellation.cancel();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    let streamed = false;
    try {
      const response = await model.sendRequest(messages, { justification: this.justification }, cancellation.token);
      for await (const text of response.text) {
        if (request.signal?.aborted) throw this.fail('aborted', 'The request was cancelled.');
        streamed = true;
        yield { type: 'text', text };
      }
      if (request.signal?.aborted) throw this.fail('aborted', 'The request was cancelled.');
      yield { type: 'finish', reason: 'stop', providerReason: 'stop' };
    } catch (error) {
      throw this.translate(error, model.vendor, streamed, request.signal);
    } finally {
      request.signal?.removeEventListener('abort', onAbort);
      cancellation.dispose();
    }
  }

  private translate(error: unknown, vendor: string, streamed: boolean, signal: AbortSignal | undefined): ProviderError {
    if (error instanceof ProviderError) return error;
    if (signal?.aborted || error instanceof vscode.CancellationError) return new ProviderError({ provider: this.id, kind: 'aborted', message: 'The request was cancelled.', partialOutput: streamed });
    const message = errorMessage(error);
    if (error instanceof vscode.LanguageModelError) {
      if (error.code === vscode.LanguageModelError.NoPermissions().code) {
        const reason = `VS Code did not allow Model Router to use the ${vendor} models (consent refused or not given); skipped until the window reloads`;
        this.refused.set(vendor, reason);
        return this.fail('auth', reason);
      }
      if (error.code === vscode.LanguageModelError.Blocked().code) {
        return new ProviderError({ provider: this.id, kind: 'rate_limit', message: `the ${vendor} model is blocked for now (quota or rate limit): ${message}`, partialOutput: streamed });
      }
      if (error.code === vscode.LanguageModelError.NotFound().code) return this.fail('bad_request', `the ${vendor} model is gone: ${message}`);
    }
    return new ProviderError({ provider: this.id, kind: 'server', message: `the ${vendor} model failed: ${message}`, partialOutput: streamed });
  }

  async complete(request: ChatRequest): Promise<ChatResult> {
    let text = '';
    let finish: ChatResult['finishReason'] = 'other';
    let providerReason = '';
    for await (const chunk of this.stream(request)) {
      if (chunk.type === 'text') text += chunk.text;
      else if (chunk.type === 'finish') ({ reason: finish, providerReason } = chunk);
    }
    const usage: Usage = ZERO_USAGE;
    return { text, usage, usageReported: false, finishReason: finish, providerReason, model: request.model };
  }

  async testConnection(): Promise<ConnectionResult> {
    const started = Date.now();
    const models = (await vscode.lm.selectChatModels()).filter((m) => m.vendor !== LM_VENDOR);
    return { ok: true, models: models.map((m) => `${m.vendor}/${m.family}`), latencyMs: Date.now() - started };
  }
}
