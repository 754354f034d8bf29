/**
 * The router as language models of VS Code (`vscode.lm`): "Model Router: auto" and one model per agent, in Chat's model
 * picker and for every extension's `vscode.lm.selectChatModels({ vendor: 'model-router' })`. A request goes through
 * the same {@link Router} the commands use (agents, tiers, budgets, health, fallbacks) as an `ask` task whose
 * instruction is the last user message and whose history is the earlier turns; the answer streams back as text
 * parts; cancelling aborts the HTTP request; the decision goes to the ledger like a command's (command: the calling extension's id, else `chat`), so it
 * counts against the budgets and shows in the dashboard. A request the router cannot answer (over budget, every
 * provider down, no key) fails with the router's own explanation, never a hang.
 *
 * Tools: the provider layer (src/core/providers) streams text only and has no tool-call chunk, so the models declare
 * `toolCalling: false`. VS Code then leaves them out where tools are required (Chat's agent mode) and offers them
 * for Ask and for extensions that send plain messages.
 */
import * as vscode from 'vscode';

import type { AgentId, Config } from '../../core/config/types';
import { AGENT_IDS } from '../../core/config/types';
import type { ChatMessage } from '../../core/providers/types';
import type { Decision } from '../../core/routing/decision';
import type { RouteRequest } from '../../core/routing/router';
import { estimateTokens } from '../../core/routing/tokenEstimate';
import { formatUsd } from '../../core/util/format';
import type { ConfigService } from '../configService';
import type { LedgerService } from '../ledgerService';
import { Disposable } from '../lifecycle';
import type { Log } from '../log';
import type { RouterService } from '../routerService';

/** Our vendor in `vscode.lm` (package.json `languageModelChatProviders`). */
export const LM_VENDOR = 'model-router';
export const AUTO_MODEL_ID = 'auto';
/** The ledger's command for requests that come through `vscode.lm` when VS Code does not name the calling extension. */
export const CHAT_COMMAND = 'chat';
/** An extension id (`publisher.name`), as VS Code passes the caller in `requestInitiator`. */
const EXTENSION_ID = /^[a-z0-9][a-z0-9-]{0,62}\.[a-z0-9][a-z0-9._-]{0,99}$/i;

/**
 * The ledger's command of a request: the calling extension's id when VS Code names it, else `chat`. VS Code 1.104
 * passes `requestInitiator` to providers at run time although the stable typings do not declare it (it is in the
 * proposed `chatProvider` API), so it is read as unknown and used only when it looks like an extension id.
 */
export function chatCommand(options: unknown): string {
  const initiator = typeof options === 'object' && options !== null ? (options as { requestInitiator?: unknown }).requestInitiator : undefined;
  return typeof initiator === 'string' && EXTENSION_ID.test(initiator) ? initiator : CHAT_COMMAND;
}
/** The family every model of ours reports; `selectChatModels({ family })` finds them all by it. */
export const LM_FAMILY = 'model-router';
/**
 * What we accept as input. The router sends to whichever model the agent's chain gives, local ones included, and VS
 * Code sizes its prompts to this: a conservative figure that most of the models we route to take.
 */
export const LM_MAX_INPUT_TOKENS = 64_000;
export const LM_MAX_OUTPUT_TOKENS = 8_192;

/** What a chat request became: the decision the ledger got (tests and the status bar read it). */
export interface ChatRunResult {
  readonly decision: Decision;
  readonly recorded: boolean;
}

interface RouterModel extends vscode.LanguageModelChatInformation {
  /** Undefined: the agent bound to `ask`. */
  readonly agent?: AgentId;
}

export class RouterChatProvider extends Disposable implements vscode.LanguageModelChatProvider<RouterModel> {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeLanguageModelChatInformation = this.changed.event;
  private readonly finished = this._register(new vscode.EventEmitter<ChatRunResult>());
  /** A chat request ended (answered or not) and was handed to the ledger. */
  readonly onDidFinish = this.finished.event;

  constructor(
    private readonly version: string,
    private readonly configService: ConfigService,
    private readonly routerService: RouterService,
    private readonly ledger: LedgerService,
    private readonly log: Log,
  ) {
    super();
    // Agents' chains name what the models route to: a changed chain changes the models' descriptions.
    this._register(configService.onDidChange(() => this.changed.fire()));
  }

  async provideLanguageModelChatInformation(): Promise<RouterModel[]> {
    const { config } = await this.configService.get();
    const models: RouterModel[] = [this.model(config, AUTO_MODEL_ID, 'Model Router: auto', undefined)];
    for (const agent of AGENT_IDS) {
      if (config.agents[agent]) models.push(this.model(config, `agent-${agent}`, `Model Router: ${agent}`, agent));
    }
    return models;
  }

  private model(config: Config, id: string, name: string, agent: AgentId | undefined): RouterModel {
    const chains = agent ? [config.agents[agent]?.chain ?? []] : Object.values(config.agents).map((a) => a.chain);
    const targets = [...new Set(chains.flat())].filter((p) => config.providers[p]?.enabled === true);
    const routesTo = targets.length > 0 ? targets.join('/') : 'no enabled provider';
    const how = agent ? `the ${agent} agent's chain` : 'difficulty, budgets and health';
    return {
      id,
      name,
      family: LM_FAMILY,
      version: this.version,
      detail: `routes to ${routesTo}`,
      tooltip: `Model Router: routes each request to ${routesTo} by ${how} (tiers, fallbacks, budgets). Every request is recorded in the Model Router ledger. No tool calling.`,
      maxInputTokens: LM_MAX_INPUT_TOKENS,
      maxOutputTokens: LM_MAX_OUTPUT_TOKENS,
      capabilities: { toolCalling: false, imageInput: false },
      ...(agent ? { agent } : {}),
    };
  }

  async provideTokenCount(_model: RouterModel, text: string | vscode.LanguageModelChatRequestMessage): Promise<number> {
    return typeof text === 'string' ? estimateTokens(text) : estimateTokens(textOf(text));
  }

  async provideLanguageModelChatResponse(
    model: RouterModel,
    messages: readonly vscode.LanguageModelChatRequestMessage[],
    options: vscode.ProvideLanguageModelChatResponseOptions,
    progress: vscode.Progress<vscode.LanguageModelResponsePart>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    const { history, instruction } = toConversation(messages);
    const tokens = estimateTokens(instruction) + history.reduce((n, m) => n + estimateTokens(m.content), 0);
    if (tokens > LM_MAX_INPUT_TOKENS) {
      throw new Error(`Model Router: the conversation is about ${tokens.toLocaleString('en-US')} tokens, more than the ${LM_MAX_INPUT_TOKENS.toLocaleString('en-US')} this model accepts. Start a new chat or send less context.`);
    }
    const router = await this.routerService.router();
    const controller = new AbortController();
    const cancel = token.onCancellationRequested(() => controller.abort());
    if (token.isCancellationRequested) controller.abort();
    const request: RouteRequest = {
      task: 'ask',
      ...(model.agent ? { agent: model.agent } : {}),
      text: '',
      instruction,
      history,
      command: chatCommand(options),
      signal: controller.signal,
    };
    // Key values (of every provider) are redacted from the answer even when one is split across two chunks.
    const redactor = this.log.secrets.stream();
    let decision: Decision | undefined;
    try {
      for await (const event of router.route(request)) {
        if (event.type === 'text') {
          const text = redactor.push(event.text);
          if (text !== '') progress.report(new vscode.LanguageModelTextPart(text));
        } else if (event.type === 'plan') {
          this.log.info(`chat (${model.name}): ${event.decision.agent}, tier ${event.decision.tier}${event.decision.complexity ? `, complexity ${event.decision.complexity.score}/10` : ''}`);
        } else if (event.type === 'fallback') {
          this.log.info(`chat: fallback to ${event.provider}/${event.model}: ${event.reason}`);
        } else if (event.type === 'done') {
          decision = event.decision;
        }
      }
    } finally {
      cancel.dispose();
    }
    const held = redactor.end();
    if (held !== '') progress.report(new vscode.LanguageModelTextPart(held));
    if (!decision) throw new Error('Model Router: the router ended without a decision.'); // defensive: route() always ends with done
    const recorded = await this.ledger.record(decision, instruction);
    this.finished.fire({ decision, recorded });
    const chosen = decision.chosen ? `${decision.chosen.provider}/${decision.chosen.model}` : 'no model';
    this.log.info(`chat request ${decision.id} ${decision.outcome} (${chosen}, ${formatUsd(decision.costUsd)})`);
    if (decision.outcome === 'answered') return;
    if (decision.outcome === 'aborted') throw new vscode.CancellationError();
    const why = this.log.clean(decision.error?.message ?? 'the request failed');
    if (decision.outcome === 'interrupted') {
      throw new Error(`Model Router: the answer from ${decision.interrupted ? `${decision.interrupted.provider}/${decision.interrupted.model}` : chosen} broke off (${why}). Ask again to retry.`);
    }
    const hint = decision.error?.kind === 'budget' ? ' (Settings: modelRouter.budget)' : decision.error?.kind === 'unavailable' || decision.error?.kind === 'exhausted' ? ' (Model Router: Show Log has every attempt)' : '';
    throw new Error(`Model Router: ${why}${hint}`);
  }
}

/** The text parts of a message; tool calls and results (we declare no tool support) and images are left out. */
function textOf(message: vscode.LanguageModelChatRequestMessage): string {
  let text = '';
  for (const part of message.content) if (part instanceof vscode.LanguageModelTextPart) text += part.value;
  return text;
}

/**
 * VS Code's messages as the router's: consecutive messages of one role merged (some APIs require alternation), a
 * system message (a role the stable API does not name; Copilot sends one) sent as a user turn, the last user turn as
 * the instruction.
 */
export function toConversation(messages: readonly vscode.LanguageModelChatRequestMessage[]): { history: ChatMessage[]; instruction: string } {
  const turns: ChatMessage[] = [];
  for (const message of messages) {
    const content = textOf(message);
    if (content.trim() === '') continue;
    const role = message.role === vscode.LanguageModelChatMessageRole.Assistant ? 'assistant' : 'user';
    const previous = turns[turns.length - 1];
    if (previous?.role === role) turns[turns.length - 1] = { role, content: `${previous.content}\n\n${content}` };
    else turns.push({ role, content });
  }
  const last = turns[turns.length - 1];
  if (!last || last.role !== 'user') {
    throw new Error('Model Router: the request has no user message to answer (the last message must be from the user and contain text).');
  }
  return { history: turns.slice(0, -1), instruction: last.content };
}
