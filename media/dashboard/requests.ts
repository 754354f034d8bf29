/**
 * The page's side of the request -> reply protocol (src/webview/protocol.ts, `DashboardRequests`): {@link Requests.send}
 * posts a request with a fresh id and resolves with the reply the protocol gives that request type, so
 * `send('loadDecisions', …)` is a `Promise<DecisionsMessage | ReplyMessage>` and `send('export', …)` a
 * `Promise<ReplyMessage>`. A reply with an unknown id, or of a type that does not answer its request, is dropped.
 */
import type { ReplyTo, RequestMessage, RequestParams, RequestType, WebviewMessage } from '../../src/webview/protocol';
import { REPLY_TYPES } from '../../src/webview/protocol';

interface Pending {
  readonly accepts: readonly ReplyTo['type'][];
  readonly resolve: (reply: ReplyTo) => void;
}

export class Requests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly post: (message: WebviewMessage) => void) {}

  send<T extends RequestType>(type: T, params: RequestParams<T>): Promise<ReplyTo<T>> {
    const requestId = this.nextId++;
    return new Promise<ReplyTo<T>>((resolve) => {
      // REPLY_TYPES[type] lists only ReplyTo<T> types, so what settle() passes on is a ReplyTo<T>.
      this.pending.set(requestId, { accepts: REPLY_TYPES[type], resolve: resolve });
      this.post({ ...params, type, requestId } as RequestMessage);
    });
  }

  /** A reply from the host: resolves the request with its id when the reply's type is one that answers it. */
  settle(reply: ReplyTo): void {
    const pending = this.pending.get(reply.requestId);
    if (!pending || !pending.accepts.includes(reply.type)) return;
    this.pending.delete(reply.requestId);
    pending.resolve(reply);
  }
}
