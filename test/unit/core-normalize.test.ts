import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmaZNormalizer, QuantileNormalizer, laserQuantileConfig, quantileSorted } from '../../src/core/normalize.ts';

const fb = (losses: number[], prefix = 'p') =>
  losses.map((loss, i) => ({ pairId: `${prefix}${String(i).padStart(3, '0')}`, arm: 0, loss }));

describe('batch baseline + quantile normalization', () => {
  it('returns 0.5 while the history holds fewer than 20 advantages', () => {
    const n = new QuantileNormalizer();
    assert.deepEqual(n.rewards(fb([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])), new Array(10).fill(0.5));
    assert.equal(n.historySize, 10);
    // 19 after this batch: still cold
    assert.deepEqual(n.rewards(fb([1, 2, 3, 4, 5, 6, 7, 8, 9], 'q')), new Array(9).fill(0.5));
    // the 20th value arrives: quantiles are used for the whole batch
    const r = n.rewards(fb([0, 2], 'r'));
    assert.notDeepEqual(r, [0.5, 0.5]);
  });

  it('rescales with the 20/80 quantiles and clips to [0, 1]', () => {
    const n = new QuantileNormalizer({ minHistory: 0 });
    const losses = Array.from({ length: 101 }, (_, i) => i); // adv = 50 - i: -50..50
    const r = n.rewards(fb(losses));
    // q_lo = quantile(adv, .2) = -30, q_hi = 30 → r = (adv + 30)/60, clipped
    assert.equal(r[0], 1); // adv 50 → clipped
    assert.equal(r[100], 0); // adv -50 → clipped
    assert.equal(r[50], 0.5); // adv 0
    assert.ok(Math.abs(r[40]! - (10 + 30) / 60) < 1e-15);
  });

  it('uses the indicator 1[adv > q_lo] when q_hi ≤ q_lo', () => {
    const n = new QuantileNormalizer({ minHistory: 0 });
    // 20 identical losses then one outlier: all quantiles equal 0
    const r = n.rewards(fb([...new Array(24).fill(1), 0.5]));
    assert.deepEqual(r.slice(0, 24), new Array(24).fill(0)); // adv = -0.02 < q_lo
    assert.equal(r[24], 1);
  });

  it('does not depend on the order feedback arrives in', () => {
    const losses = Array.from({ length: 64 }, (_, i) => Math.sin(i) * 0.3 + 0.7);
    const a = new QuantileNormalizer().rewards(fb(losses));
    const items = fb(losses);
    const rev = new QuantileNormalizer().rewards([...items].reverse());
    assert.deepEqual([...rev].reverse(), a);
  });

  it('the bounded-memory option keeps only the last N advantages', () => {
    const n = new QuantileNormalizer({ window: 30 });
    for (let b = 0; b < 10; b++)
      n.rewards(
        fb(
          Array.from({ length: 16 }, (_, i) => i + b),
          `b${b}-`,
        ),
      );
    assert.equal(n.historySize, 30);
    const global = new QuantileNormalizer();
    for (let b = 0; b < 10; b++)
      global.rewards(
        fb(
          Array.from({ length: 16 }, (_, i) => i + b),
          `b${b}-`,
        ),
      );
    assert.equal(global.historySize, 160);
  });

  it("LASeR's variant returns the raw advantage while |H| < 2", () => {
    const n = new QuantileNormalizer(laserQuantileConfig);
    assert.deepEqual(n.rewards(fb([3])), [0]);
    const r = n.rewards(fb([1, 3], 'q'));
    assert.ok(r.every((v) => v >= 0 && v <= 1));
  });

  it('quantiles interpolate linearly like NumPy', () => {
    assert.equal(quantileSorted([1, 2, 3, 4], 0.2), 1.6);
    assert.equal(quantileSorted([5], 0.8), 5);
    assert.ok(Number.isNaN(quantileSorted([], 0.5)));
  });

  it('rejects an invalid configuration', () => {
    assert.throws(() => new QuantileNormalizer({ qLo: 0.8, qHi: 0.2 }), /quantiles/);
  });
});

describe('EMA z-score variant', () => {
  it('gives no update before 5 observations of an arm, then z-scores clipped to ±2', () => {
    const n = new EmaZNormalizer();
    const out = n.rewards(Array.from({ length: 8 }, (_, i) => ({ pairId: `p${i}`, arm: 1, loss: i === 7 ? -100 : 1 })));
    assert.deepEqual(out.slice(0, 4), [null, null, null, null]);
    assert.equal(out[4], 0);
    assert.equal(out[7], 2); // a huge advantage is clipped
  });
});
