import assert from 'node:assert/strict';

import { toLedgerRecord } from '../../src/core/ledger/record';
import type { Decision } from '../../src/core/routing/decision';
import { SecretScrubber } from '../../src/core/util/secrets';

/**
 * What reaches the ledger (and from there every export and report) of text that came from outside: no key of any
 * provider the caller knows, no URL password, no terminal control character, in ANY text field of the record.
 */

const OTHER_KEY = 'gw-TESTSECRET-other-provider-0123456789';
const OWN_KEY = 'own-provider-key-TESTSECRET-abcdef';
const POISON = `[${OTHER_KEY} ${OWN_KEY} sk-proj-SHAPEDLIKEAKEY0123456789 http://alice:pw@proxy.example \x1b]52;c;eA==\x07\x1b[2J\rx]`;

function poisoned(): Decision {
  const text = (label: string): string => `${label}${POISON}`;
  return {
    id: 'd-1',
    startedAt: 1_000,
    finishedAt: 2_000,
    task: text('task') as Decision['task'],
    agent: text('agent') as Decision['agent'],
    command: text('command'),
    complexity: { score: 4, reasons: [text('reason')] },
    requestedTier: text('tier') as Decision['requestedTier'],
    tier: text('tier') as Decision['tier'],
    escalated: false,
    downgraded: false,
    strategy: text('strategy'),
    promptTokens: 10,
    estimateUsd: undefined,
    budgetWarnings: [],
    candidates: [],
    attempts: [
      {
        provider: text('provider'),
        model: text('model'),
        keyId: text('key'),
        startedAt: 1_000,
        latencyMs: 5,
        status: 'error',
        errorKind: text('kind') as never,
        httpStatus: 500,
        message: text('message'),
        partialOutput: true,
        costUsd: 0,
      },
    ],
    outcome: text('outcome') as Decision['outcome'],
    chosen: { provider: text('provider'), model: text('model') },
    error: { kind: text('kind') as never, message: text('error') },
    usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    costUsd: 0,
  };
}

/** Every string in `value` with its path, except the record id and the attempt status (the router's own values). */
function strings(value: unknown, at = '$'): [string, string][] {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((item, index) => strings(item, `${at}[${index}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .filter(([key]) => !(at === '$' && key === 'id') && key !== 'status')
      .flatMap(([key, item]) => strings(item, `${at}.${key}`));
  }
  return [];
}

describe('ledger: records hold no secret and no control character', () => {
  it('scrubs every text field of every known key (all providers), URL passwords and controls', () => {
    const record = toLedgerRecord(poisoned(), {
      instruction: `instruction${POISON}`,
      storeInstruction: true,
      secrets: new SecretScrubber([OWN_KEY, OTHER_KEY]),
    });
    const fields = strings(record);
    assert.ok(fields.length >= 15, `only ${fields.length} text fields found`);
    for (const [where, text] of fields) {
      assert.ok(!text.includes(OTHER_KEY) && !text.includes(OWN_KEY), `${where} holds a key: ${text}`);
      assert.ok(!text.includes('alice') && !text.includes(':pw@'), `${where} holds URL credentials: ${text}`);
      assert.ok(!/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/.test(text), `${where} holds a control character: ${JSON.stringify(text)}`);
      assert.ok(text.includes('[redacted] [redacted]') && text.includes('http://***:***@proxy.example'), `${where}: ${text}`);
      assert.ok(text.includes('␛]52;c;eA==␇␛[2J␍x'), `${where} keeps the controls visible: ${text}`);
    }
    assert.ok(!record.errorMessage!.includes('sk-proj-SHAPED'), 'free text also loses key-shaped strings');
    assert.equal(record.id, 'd-1');
  });

  it('without a scrubber, still masks URL credentials, controls and key-shaped free text', () => {
    const record = toLedgerRecord(poisoned());
    assert.ok(!record.errorMessage!.includes('alice') && !record.errorMessage!.includes('sk-proj-SHAPED'));
    assert.ok(!record.model!.includes('\x1b'));
  });
});
