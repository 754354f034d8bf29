import assert from 'node:assert/strict';

import { Requests } from '../../media/dashboard/requests';
import type { DecisionsMessage, ReplyMessage, WebviewMessage } from '../../src/webview/protocol';

/** The page's request helper (no DOM): ids, matching replies to requests, and the reply types the protocol allows. */
describe('dashboard page: requests and their replies', () => {
  function setup(): { requests: Requests; sent: WebviewMessage[] } {
    const sent: WebviewMessage[] = [];
    return { requests: new Requests((message) => sent.push(message)), sent };
  }

  it('posts each request with a fresh id and resolves it with the reply that carries that id', async () => {
    const { requests, sent } = setup();
    const exported = requests.send('export', { format: 'csv' });
    const loaded = requests.send('loadDecisions', { before: { startedAt: 5, id: 'r5' } });
    assert.deepEqual(sent, [
      { type: 'export', requestId: 1, format: 'csv' },
      { type: 'loadDecisions', requestId: 2, before: { startedAt: 5, id: 'r5' } },
    ]);
    const page: DecisionsMessage = { type: 'decisions', requestId: 2, page: { decisions: [], more: false } };
    requests.settle(page);
    requests.settle({ type: 'reply', requestId: 1, ok: false, message: 'Export cancelled.' });
    assert.deepEqual(await loaded, page);
    const reply: ReplyMessage = await exported;
    assert.deepEqual(reply, { type: 'reply', requestId: 1, ok: false, message: 'Export cancelled.' });
  });

  it('drops a reply with an unknown id, a second reply, and a reply of a type that does not answer the request', async () => {
    const { requests } = setup();
    let settled: unknown;
    void requests.send('applyRecommendation', { id: 'cheaper-tier:explainer:openai' }).then((reply) => (settled = reply));
    requests.settle({ type: 'reply', requestId: 7, ok: true });
    // A page of decisions never answers "apply".
    requests.settle({ type: 'decisions', requestId: 1, page: { decisions: [], more: false } });
    await Promise.resolve();
    assert.equal(settled, undefined);
    requests.settle({ type: 'reply', requestId: 1, ok: true });
    requests.settle({ type: 'reply', requestId: 1, ok: false, message: 'late' });
    await Promise.resolve();
    assert.deepEqual(settled, { type: 'reply', requestId: 1, ok: true });
  });

  it('types each request\'s parameters and reply from the protocol (checked by the compiler)', () => {
    const { requests } = setup();
    // @ts-expect-error: export takes a format, not a cursor.
    void requests.send('export', { before: { startedAt: 1, id: 'a' } });
    void requests.send('export', { format: 'json' }).then((reply) => {
      // @ts-expect-error: an export is answered by a reply, never by a page of decisions.
      void reply.page;
    });
    void requests.send('loadDecisions', { before: { startedAt: 1, id: 'a' } }).then((reply) => {
      if (reply.type === 'decisions') void reply.page.more;
      else void reply.ok;
    });
  });
});
