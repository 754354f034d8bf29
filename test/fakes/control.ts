/**
 * A loopback control endpoint for fake provider servers that run in ANOTHER process than the code under test: the
 * extension-host suite (`npm run test:host`) runs inside code-server's extension host, while the fakes run in the
 * runner (scripts/runHostTests.ts). The suite scripts faults and reads what the fakes received over plain HTTP on
 * 127.0.0.1; test/integration/support/control.ts is its typed client.
 *
 *   GET  /fakes                       -> { [name]: baseURL }
 *   POST /reset                       every fake forgets its requests and queued steps, default step restored
 *   POST /fakes/<name>/enqueue        body FakeStep[]: the next model requests, one step each
 *   POST /fakes/<name>/default        body FakeStep: the answer when the queue is empty (until /reset)
 *   GET  /fakes/<name>/requests       -> ControlRequest[] (what the fake received, in order)
 *   POST <extra route>                the runner's own routes (e.g. UI actions), body and answer JSON
 *
 * Answers are JSON; errors are `{ error: message }` with status 400 (bad call), 404 (unknown route or fake) or 500.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { FakeProviderServer, FakeStep, RecordedRequest } from './fakeServer';

/** A recorded request as the control endpoint hands it out (JSON-safe). */
export type ControlRequest = Pick<
  RecordedRequest,
  'index' | 'method' | 'path' | 'query' | 'headers' | 'body' | 'endpoint' | 'model' | 'stream' | 'state'
>;

/** An extra POST route: receives the parsed JSON body, resolves with a JSON-serialisable answer. */
export type ControlRoute = (body: unknown) => Promise<unknown>;

export interface FakeControl {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  close(): Promise<void>;
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A step from JSON: `retryAfterDate` travels as a string. */
function reviveStep(value: unknown): FakeStep {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ControlError(400, 'a step must be an object');
  const step = { ...(value as Record<string, unknown>) };
  if (typeof step['retryAfterDate'] === 'string') step['retryAfterDate'] = new Date(step['retryAfterDate']);
  return step;
}

function toControlRequest(r: RecordedRequest): ControlRequest {
  const { index, method, path, query, headers, body, endpoint, model, stream, state } = r;
  return { index, method, path, query, headers, body, endpoint, model, stream, state };
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ControlError(400, 'the body is not JSON');
  }
}

/** Starts the control endpoint on an ephemeral loopback port for the named fakes. */
export async function startFakeControl(
  fakes: Readonly<Record<string, FakeProviderServer>>,
  extraRoutes: Readonly<Record<string, ControlRoute>> = {},
): Promise<FakeControl> {
  const fake = (name: string): FakeProviderServer => {
    const server = fakes[name];
    if (!server) throw new ControlError(404, `no fake named "${name}" (known: ${Object.keys(fakes).join(', ')})`);
    return server;
  };

  const handle = async (method: string, pathname: string, body: unknown): Promise<unknown> => {
    if (method === 'GET' && pathname === '/fakes') {
      return Object.fromEntries(Object.entries(fakes).map(([name, server]) => [name, server.baseURL]));
    }
    if (method === 'POST' && pathname === '/reset') {
      for (const server of Object.values(fakes)) server.reset();
      return {};
    }
    const match = /^\/fakes\/([^/]+)\/(enqueue|default|requests)$/.exec(pathname);
    if (match) {
      const server = fake(decodeURIComponent(match[1]!));
      const action = match[2]!;
      if (action === 'requests' && method === 'GET') return server.requests.map(toControlRequest);
      if (action === 'enqueue' && method === 'POST') {
        if (!Array.isArray(body)) throw new ControlError(400, 'enqueue takes an array of steps');
        server.enqueue(...body.map(reviveStep));
        return { pending: server.pending };
      }
      if (action === 'default' && method === 'POST') {
        server.defaultStep = reviveStep(body);
        return {};
      }
    }
    const extra = extraRoutes[pathname];
    if (extra && method === 'POST') return extra(body);
    throw new ControlError(404, `no route ${method} ${pathname}`);
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      let status = 200;
      let answer: unknown;
      try {
        const url = new URL(req.url ?? '/', 'http://control.invalid');
        answer = (await handle(req.method ?? 'GET', url.pathname, await readJson(req))) ?? {};
      } catch (error) {
        status = error instanceof ControlError ? error.status : 500;
        answer = { error: error instanceof Error ? error.message : String(error) };
      }
      const payload = JSON.stringify(answer);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) });
      res.end(payload);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
