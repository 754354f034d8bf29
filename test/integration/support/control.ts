/**
 * The suite's client of the control endpoint that `npm run test:host` starts next to the fake providers
 * (test/fakes/control.ts) and of the runner's UI routes. Under a host that does not start them (e.g.
 * `npm run test:vscode`), {@link control} returns undefined and the tests that need the fakes skip.
 */
import type { ControlRequest } from '../../fakes/control';
import type { FakeStep } from '../../fakes/fakeServer';
import type { FakeName, NotificationAction, NotificationAnswer, QuickInputAction } from './protocol';
import { CONTROL_URL_ENV, UiRoute } from './protocol';

export type { ControlRequest, FakeName, FakeStep };

export class Control {
  constructor(readonly url: string) {}

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    const answer = (await response.json()) as T & { error?: string };
    if (!response.ok) throw new Error(`control ${method} ${path}: ${answer.error ?? response.status}`);
    return answer;
  }

  /** Base URL of each fake. */
  baseUrls(): Promise<Record<FakeName, string>> {
    return this.call('GET', '/fakes');
  }

  /** Every fake forgets its requests and scripted steps. */
  async reset(): Promise<void> {
    await this.call('POST', '/reset');
  }

  /** The next model requests to `fake` get these answers, one each. */
  async enqueue(fake: FakeName, ...steps: FakeStep[]): Promise<void> {
    await this.call('POST', `/fakes/${fake}/enqueue`, steps);
  }

  /** What `fake` answers once its queue is empty (until {@link reset}). */
  async setDefault(fake: FakeName, step: FakeStep): Promise<void> {
    await this.call('POST', `/fakes/${fake}/default`, step);
  }

  /** Every request `fake` received since the last reset. */
  requests(fake: FakeName): Promise<ControlRequest[]> {
    return this.call('GET', `/fakes/${fake}/requests`);
  }

  /** Requests to the model endpoint (not the models list) only. */
  async modelRequests(fake: FakeName): Promise<ControlRequest[]> {
    return (await this.requests(fake)).filter((r) => r.endpoint === 'model');
  }

  /** Types `value` into the quick input titled `title` and presses Enter, as a person would. */
  async answerQuickInput(action: QuickInputAction): Promise<void> {
    await this.call('POST', UiRoute.quickInput, action);
  }

  /** Waits for the notification whose message contains `message`, clicks `button` if given, returns the message. */
  async notification(action: NotificationAction): Promise<string> {
    return (await this.call<NotificationAnswer>('POST', UiRoute.notification, action)).text;
  }

  /** Clicks "Trust" in the open Workspace Trust editor. */
  async trustWorkspace(): Promise<void> {
    await this.call('POST', UiRoute.trustWorkspace, {});
  }
}

/** The control client when the runner provides one. */
export function control(): Control | undefined {
  const url = process.env[CONTROL_URL_ENV];
  return url ? new Control(url) : undefined;
}
