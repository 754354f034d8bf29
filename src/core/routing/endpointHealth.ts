/**
 * Whether a provider's endpoint is listening at all. A local server (Ollama, LM Studio) that is not running refuses
 * the connection at once; retrying it, or trying it again after every breaker cooldown, only costs each light request
 * a failed attempt. The router marks such an endpoint down at the first refusal (loopback endpoints only: a hosted
 * API that refuses a connection is a network problem worth the usual retries), skips it while it is down, and:
 *
 * - with a probe (the extension): probes it in the background, cheaply (its models endpoint), with a bounded backoff
 *   (2 s, 4 s, ... at most 60 s between probes) until it answers; only a successful probe brings it back, so routing
 *   never pays a failed request for it;
 * - without one (a CLI run): brings it back by itself after the same backoff, so the next request tries it once.
 *
 * Nothing here imports vscode; time comes from a {@link Clock}.
 */
import type { Listen } from '../util/emitter';
import { Emitter } from '../util/emitter';
import { errorMessage } from '../util/errorMessage';
import { formatMs } from '../util/format';
import type { Clock } from './clock';
import { systemClock } from './clock';

export interface EndpointBackoff {
  /** Wait before the first probe after a refusal. */
  readonly initialMs: number;
  /** Longest wait between two probes. */
  readonly maxMs: number;
}

export const DEFAULT_ENDPOINT_BACKOFF: EndpointBackoff = { initialMs: 2_000, maxMs: 60_000 };

/** How a probe went: `up` (something answered, even an error), `down` (still refused or unreachable). */
export type ProbeOutcome = { readonly up: true } | { readonly up: false; readonly reason: string };

/** Probes one provider's endpoint. Must honour `signal` (disposal) and bound its own time. */
export type EndpointProbe = (providerId: string, signal: AbortSignal) => Promise<ProbeOutcome>;

export interface EndpointState {
  readonly state: 'up' | 'down';
  /** When the endpoint went down (or came up). */
  readonly since: number;
  /** Why it is down: the refusal, or the last probe's failure. */
  readonly reason?: string;
  /** While down: when it is probed next (or, without a probe, when it may be tried again). */
  readonly retryAt?: number;
  /** Probes since it went down. */
  readonly probes: number;
}

/** An endpoint went down or came up; `previous` is undefined the first time anything was known about it. */
export interface EndpointChange {
  readonly providerId: string;
  readonly state: EndpointState;
  readonly previous: 'up' | 'down' | undefined;
  /** Set when a reset forgot a down endpoint (Reset Provider Health, a new address): nothing answered. */
  readonly reset?: true;
}

export type EndpointCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly retryAt?: number };

export interface EndpointHealthOptions {
  readonly clock?: Clock;
  /** Background probe; without it a down endpoint comes back by itself after the backoff. */
  readonly probe?: EndpointProbe;
  readonly backoff?: EndpointBackoff;
  readonly onListenerError?: (error: unknown) => void;
}

interface Entry {
  state: EndpointState;
  /** Consecutive refusals or failed probes: the backoff's exponent. */
  failures: number;
  /** Id of the background loop that owns this endpoint's probes, if one runs. */
  loop?: number;
}

export class EndpointHealth {
  private readonly clock: Clock;
  private readonly probe: EndpointProbe | undefined;
  private readonly backoff: EndpointBackoff;
  private readonly entries = new Map<string, Entry>();
  private readonly changed: Emitter<EndpointChange>;
  private readonly stop = new AbortController();
  private loops = 0;
  /** Fires whenever an endpoint goes down or comes up (not for a refusal while already down). */
  readonly onDidChange: Listen<EndpointChange>;

  constructor(options: EndpointHealthOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.probe = options.probe;
    this.backoff = options.backoff ?? DEFAULT_ENDPOINT_BACKOFF;
    this.changed = new Emitter<EndpointChange>(options.onListenerError);
    this.onDidChange = this.changed.event;
  }

  /** Whether background probing is on (only then does a down endpoint wait for a probe to come back). */
  get probing(): boolean {
    return this.probe !== undefined;
  }

  snapshot(providerId: string): EndpointState | undefined {
    return this.entries.get(providerId)?.state;
  }

  /** May a request go to this endpoint now? */
  check(providerId: string, now: number = this.clock.now()): EndpointCheck {
    const entry = this.entries.get(providerId);
    if (!entry || entry.state.state === 'up') return { ok: true };
    const retryAt = entry.state.retryAt;
    if (!this.probe && retryAt !== undefined && now >= retryAt) return { ok: true };
    const when = retryAt !== undefined ? formatMs(Math.max(0, retryAt - now)) : '? s';
    const next = this.probe ? `probed again in ${when}` : `tried again in ${when}`;
    return {
      ok: false,
      reason: `down: ${entry.state.reason ?? 'the endpoint refused the connection'}; ${next}`,
      ...(retryAt !== undefined ? { retryAt } : {}),
    };
  }

  /** The endpoint refused a connection (or a probe failed): down, probed (or tried) again after the backoff. */
  markDown(providerId: string, reason: string): void {
    if (this.stop.signal.aborted) return;
    const now = this.clock.now();
    const entry = this.entries.get(providerId);
    const wasDown = entry?.state.state === 'down';
    const failures = wasDown ? entry.failures + 1 : 1;
    const retryAt = now + this.delay(failures);
    const state: EndpointState = { state: 'down', since: wasDown ? entry.state.since : now, reason, retryAt, probes: wasDown ? entry.state.probes : 0 };
    const next: Entry = { state, failures, ...(entry?.loop !== undefined ? { loop: entry.loop } : {}) };
    this.entries.set(providerId, next);
    if (!wasDown) this.changed.fire({ providerId, state, previous: entry?.state.state });
    if (this.probe && next.loop === undefined) {
      next.loop = ++this.loops;
      void this.probeLoop(providerId, next.loop);
    }
  }

  /** Something answered at the endpoint (a request, a probe, a connection test): up. */
  markUp(providerId: string): void {
    const entry = this.entries.get(providerId);
    if (entry?.state.state === 'up') return;
    const state: EndpointState = { state: 'up', since: this.clock.now(), probes: entry?.state.probes ?? 0 };
    this.entries.set(providerId, { state, failures: 0 });
    this.changed.fire({ providerId, state, previous: entry?.state.state });
  }

  /**
   * Probes one endpoint now and records the outcome (the start-up probe). Does nothing without a probe function.
   * Resolves with the outcome, or undefined when there is no probe or health was disposed.
   */
  async probeNow(providerId: string): Promise<ProbeOutcome | undefined> {
    if (!this.probe || this.stop.signal.aborted) return undefined;
    let outcome: ProbeOutcome;
    try {
      outcome = await this.probe(providerId, this.stop.signal);
    } catch (error) {
      outcome = { up: false, reason: errorMessage(error) };
    }
    if (this.stop.signal.aborted) return undefined;
    const entry = this.entries.get(providerId);
    if (entry?.state.state === 'down') entry.state = { ...entry.state, probes: entry.state.probes + 1 };
    if (outcome.up) this.markUp(providerId);
    else this.markDown(providerId, outcome.reason);
    return outcome;
  }

  /** Forgets a provider's state (Reset Provider Health); its loop ends at its next wake-up. */
  reset(providerId?: string): void {
    for (const id of [...this.entries.keys()]) {
      if (providerId !== undefined && id !== providerId) continue;
      const entry = this.entries.get(id);
      this.entries.delete(id);
      if (entry?.state.state === 'down') {
        this.changed.fire({ providerId: id, state: { state: 'up', since: this.clock.now(), probes: entry.state.probes }, previous: 'down', reset: true });
      }
    }
  }

  dispose(): void {
    this.stop.abort();
    this.changed.dispose();
  }

  private delay(failures: number): number {
    return Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(failures - 1, 30));
  }

  /** Sleeps until the next probe time and probes, while the endpoint stays down; ends when it is up or on dispose. */
  private async probeLoop(providerId: string, id: number): Promise<void> {
    const mine = (): Entry | undefined => {
      const entry = this.entries.get(providerId);
      return entry?.loop === id && entry.state.state === 'down' ? entry : undefined;
    };
    try {
      for (let entry = mine(); entry; entry = mine()) {
        await this.clock.sleep(Math.max(0, (entry.state.retryAt ?? this.clock.now()) - this.clock.now()), this.stop.signal);
        if (!mine()) return;
        await this.probeNow(providerId);
      }
    } catch {
      // Disposed while sleeping.
    } finally {
      const entry = this.entries.get(providerId);
      if (entry?.loop === id) delete entry.loop;
    }
  }
}

/**
 * Whether a base URL points at this machine: `localhost` (and `*.localhost`), 127.0.0.0/8, `::1`. A provider without a
 * base URL uses its SDK's hosted default, which is not.
 */
export function isLoopbackUrl(baseUrl: string | undefined): boolean {
  if (!baseUrl) return false;
  let host: string;
  try {
    host = new URL(baseUrl).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
