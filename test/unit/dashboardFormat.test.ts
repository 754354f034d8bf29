import assert from 'node:assert/strict';

import {
  commandLabel,
  formatDayKey,
  formatLatency,
  formatPercent,
  formatTime,
  formatTokens,
  latencyGrid,
} from '../../media/dashboard/format';
import { latencyBinMs } from '../../src/core/ledger/rollups';

describe('dashboard formatting', () => {
  it('writes tokens, percents and command labels compactly', () => {
    assert.deepEqual([980, 12_345, 4_560_000, 1.2e9].map(formatTokens), ['980', '12.3k', '4.56M', '1.20B']);
    assert.deepEqual([0, 0.973, 0.99996, 1, 1.125].map(formatPercent), ['0%', '97.3%', '99.9%', '100%', '113%']);
    assert.equal(commandLabel('modelRouter.writeTests', 'tests'), 'writeTests');
    assert.equal(commandLabel(null, 'ask'), 'ask');
  });

  it('writes latencies on the ledger histogram grid, so a percentile reads the same from either', () => {
    for (const ms of [0, 7.4, 87.5, 99.5, 104, 1234, 1250, 9_949, 9_950, 15_600, 250_000]) {
      assert.equal(latencyGrid(ms), latencyBinMs(ms), `grid of ${ms}`);
      assert.equal(formatLatency(ms), formatLatency(latencyBinMs(ms)));
    }
    assert.deepEqual([87.4, 850, 1234, 9_960, 15_600, 250_000, null].map(formatLatency), ['87 ms', '850 ms', '1.2 s', '10 s', '16 s', '4 min 10 s', '—']);
  });

  it('writes times in the ledger zone: the time today, the date before', () => {
    const now = Date.parse('2026-03-20T15:07:13Z');
    assert.equal(formatTime(Date.parse('2026-03-20T14:32:05Z'), 'America/New_York', now), '10:32:05');
    assert.equal(formatTime(Date.parse('2026-03-20T03:32:05Z'), 'America/New_York', now), 'Mar 19, 23:32');
    assert.equal(formatDayKey('2026-03-09'), 'Mar 9');
  });
});
