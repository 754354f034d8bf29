import assert from 'node:assert/strict';

import { formatMs, formatUsd } from '../../src/core/util/format';

/** The one money and the one duration formatter: the CLI, the extension and the dashboard page all write with these. */
describe('formatting money and durations', () => {
  it('writes USD in cents from a cent up, with thousands separators', () => {
    assert.deepEqual(
      [1234.567, 1, 0.42, 0.1, 0.0995, 0.042, 0.01, 5, 1_000_000].map(formatUsd),
      ['$1,234.57', '$1.00', '$0.42', '$0.10', '$0.10', '$0.04', '$0.01', '$5.00', '$1,000,000.00'],
    );
  });

  it('writes an amount below a cent with two significant digits, never as $0.00', () => {
    assert.deepEqual(
      [0.0042, 0.004, 0.00042, 0.0002, 0.000005, 0.0000004].map(formatUsd),
      ['$0.0042', '$0.0040', '$0.00042', '$0.00020', '$0.0000050', '<$0.000001'],
    );
    // Rounding that reaches a whole cent is written in cents.
    assert.equal(formatUsd(0.009996), '$0.01');
  });

  it('writes zero, negative amounts and a missing price plainly', () => {
    assert.deepEqual([0, -0.42, -0.0042, -1234.5].map(formatUsd), ['$0', '-$0.42', '-$0.0042', '-$1,234.50']);
    assert.deepEqual([undefined, Number.NaN, Number.POSITIVE_INFINITY].map(formatUsd), ['price unknown', 'price unknown', 'price unknown']);
  });

  it('writes durations in ms, seconds, minutes and hours, each from where the previous rounds up to it', () => {
    assert.deepEqual(
      [0, 250, 999.4, 999.6, 1_500, 3_840, 5_000, 9_949, 9_960, 42_100, 59_600, 60_000, 125_000, 252_000, 3_599_000, 3_600_000, 4_680_000, 43_200_000].map(formatMs),
      ['0 ms', '250 ms', '999 ms', '1 s', '1.5 s', '3.8 s', '5 s', '9.9 s', '10 s', '42 s', '1 min', '1 min', '2 min 5 s', '4 min 12 s', '59 min 59 s', '1 h', '1 h 18 min', '12 h'],
    );
  });

  it('writes a dash for a duration that is not there', () => {
    assert.deepEqual([null, undefined, Number.NaN, -1, Number.POSITIVE_INFINITY].map(formatMs), ['—', '—', '—', '—', '—']);
  });
});
