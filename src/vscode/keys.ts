/**
 * API keys in VS Code's SecretStorage, and nowhere else. Each key is one secret named `modelRouter.key/<provider>/<id>`;
 * the list of stored keys with their tags (tiers, priority) is one more secret, `modelRouter.keyIndex` (not secret
 * itself, but kept there so that it follows the keys across windows: SecretStorage fires `onDidChange` in every
 * window, globalState does not).
 *
 * The store is the router's {@link KeySource}. Every value it hands out is also given to the log's scrubber, and so is
 * every stored value when the list is loaded: an error from one provider may quote another's key (a gateway in front
 * of both), and the log and the ledger must hide that one too.
 */
import * as vscode from 'vscode';

import type { Tier } from '../core/config/types';
import type { KeySource } from '../core/routing/router';
import { loadEngine } from './engine';
import { Disposable } from './lifecycle';
import type { Log } from './log';

/** A stored key as listed (never the value). */
export interface StoredKey {
  readonly provider: string;
  readonly id: string;
  readonly tiers?: readonly Tier[];
  readonly priority?: number;
}

const INDEX = 'modelRouter.keyIndex';
const PREFIX = 'modelRouter.key/';

export function secretName(provider: string, keyId: string): string {
  return `${PREFIX}${provider}/${keyId}`;
}

/** A key id: letters, digits, `-`, `_`, `.`; 1..40 characters. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

/** What is wrong with a key value a person typed, or undefined when it looks usable. */
export function keyValueProblem(value: string): string | undefined {
  if (value.trim() === '') return 'The key is empty. Paste the whole key, or press Escape to cancel.';
  if (/\s/.test(value.trim())) return 'The key contains spaces or line breaks. Paste the key alone.';
  if (value.trim().length < 8) return 'That is too short to be an API key.';
  return undefined;
}

function parseIndex(text: string | undefined): StoredKey[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) return [];
    return value.filter(
      (entry: unknown): entry is StoredKey =>
        typeof entry === 'object' &&
        entry !== null &&
        'provider' in entry &&
        typeof entry.provider === 'string' &&
        'id' in entry &&
        typeof entry.id === 'string',
    );
  } catch {
    return [];
  }
}

export class KeyStore extends Disposable implements KeySource {
  private index: StoredKey[] = [];
  private loaded: Promise<void> | undefined;
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  /** A key was stored or removed, in this window or another. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: Log,
  ) {
    super();
    this._register(
      secrets.onDidChange((event) => {
        if (event.key === INDEX || event.key.startsWith(PREFIX)) {
          this.loaded = undefined;
          this.changed.fire();
        }
      }),
    );
  }

  /** The stored keys (ids and tags, no values). */
  async list(): Promise<readonly StoredKey[]> {
    await this.ensureLoaded();
    return this.index;
  }

  async has(provider: string, keyId: string): Promise<boolean> {
    return (await this.get(provider, keyId)) !== undefined;
  }

  async get(provider: string, keyId: string): Promise<string | undefined> {
    const value = (await this.secrets.get(secretName(provider, keyId))) || this.demoKey(provider, keyId);
    if (value) this.log.addSecret(value);
    return value || undefined;
  }

  /**
   * `npm run dev -- --demo` (MODEL_ROUTER_DEMO=1) starts the simulated providers and puts their placeholder keys in
   * this window's environment; only then are environment keys used without importing them.
   */
  private demoKey(provider: string, keyId: string): string | undefined {
    if (process.env['MODEL_ROUTER_DEMO'] !== '1') return undefined;
    return loadEngine().keyFromEnv(process.env, provider, keyId);
  }

  hint(): string {
    return 'Run "Model Router: Set API Key" to store one in VS Code\'s secret storage.';
  }

  async set(key: StoredKey, value: string): Promise<void> {
    const trimmed = value.trim();
    this.log.addSecret(trimmed);
    await this.secrets.store(secretName(key.provider, key.id), trimmed);
    await this.ensureLoaded();
    const rest = this.index.filter((entry) => !(entry.provider === key.provider && entry.id === key.id));
    await this.writeIndex([...rest, key]);
    this.log.info(`Stored API key "${key.id}" of ${key.provider} in the secret storage.`);
  }

  async remove(provider: string, keyId: string): Promise<void> {
    await this.secrets.delete(secretName(provider, keyId));
    await this.ensureLoaded();
    await this.writeIndex(this.index.filter((entry) => !(entry.provider === provider && entry.id === keyId)));
    this.log.info(`Removed API key "${keyId}" of ${provider} from the secret storage.`);
  }

  private async writeIndex(entries: StoredKey[]): Promise<void> {
    entries.sort((a, b) => a.provider.localeCompare(b.provider) || a.id.localeCompare(b.id));
    this.index = entries;
    await this.secrets.store(INDEX, JSON.stringify(entries));
  }

  /** Loads the list and gives every stored key value to the log's scrubber (which the ledger records use too). */
  rememberAll(): Promise<void> {
    return this.ensureLoaded();
  }

  private ensureLoaded(): Promise<void> {
    this.loaded ??= (async () => {
      this.index = parseIndex(await this.secrets.get(INDEX));
      await Promise.all(this.index.map((key) => this.get(key.provider, key.id)));
    })();
    return this.loaded;
  }
}
