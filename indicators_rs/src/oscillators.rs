//! Oscillators on a whole bar (high, low, close, volume): CCI, MFI and ULTOSC, as pure kernels on slices.
// Index loops mirror TA-Lib's C, which reads several arrays at the same and at earlier bars.
#![allow(clippy::needless_range_loop)]

use crate::overlap::too_short;

/// Commodity channel index (`TA_CCI`): typical price against its mean and mean absolute deviation.
///
/// TA-Lib sums the whole window afresh for every bar (no running total), so this does too.
pub fn cci(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    let lookback = period - 1;
    if too_short(out, lookback) {
        return;
    }
    let p = period as f64;
    let mut ring = vec![0.0; period];
    let mut slot = 0;
    for i in 0..lookback {
        ring[slot] = (high[i] + low[i] + close[i]) / 3.0;
        slot = (slot + 1) % period;
    }
    for i in lookback..close.len() {
        let last = (high[i] + low[i] + close[i]) / 3.0;
        ring[slot] = last;
        let mut average = 0.0;
        for &v in &ring {
            average += v;
        }
        average /= p;
        let mut deviation = 0.0;
        for &v in &ring {
            deviation += (v - average).abs();
        }
        // TA-Lib 0.8.1: both the distance and the mean deviation count as zero within 1e-14 of |mean|.
        let distance = last - average;
        let tolerance = average.abs() * 1e-14;
        let mean_deviation = deviation / p;
        out[i] = if tolerance >= distance.abs() || tolerance >= mean_deviation.abs() {
            0.0
        } else {
            let scaled = mean_deviation * 0.015;
            if scaled == 0.0 {
                0.0
            } else {
                distance / scaled
            }
        };
        slot = (slot + 1) % period;
    }
}

/// Money flow index (`TA_MFI`): RSI-like ratio of up and down money flow over `period` bars.
///
/// As in TA-Lib 0.8.1, a typical-price change within 1e-14 of the prices' magnitude is no move, a whole
/// period without money flow resets both sums to exactly zero, and the ratio is clamped into [0, 100].
pub fn mfi(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    period: usize,
    out: &mut [f64],
) {
    if too_short(out, period) {
        return;
    }
    let mut positive = vec![0.0; period];
    let mut negative = vec![0.0; period];
    let mut slot = 0;
    let mut pos_sum = 0.0;
    let mut neg_sum = 0.0;
    let mut null_run = 0;
    let typical = |i: usize| (high[i] + low[i] + close[i]) / 3.0;
    let mut prev = typical(0);
    for today in 1..close.len() {
        if today > period {
            pos_sum -= positive[slot];
            neg_sum -= negative[slot];
        }
        let tp = typical(today);
        let change = tp - prev;
        let scale = tp.abs() + prev.abs();
        prev = tp;
        let flow = tp * volume[today];
        let money_flow = if change.abs() <= 1e-14 * scale {
            0.0
        } else {
            flow
        };
        let (pos, neg) = if change < 0.0 {
            (0.0, money_flow)
        } else {
            (money_flow, 0.0)
        };
        positive[slot] = pos;
        negative[slot] = neg;
        pos_sum += pos;
        neg_sum += neg;
        null_run = if money_flow == 0.0 { null_run + 1 } else { 0 };
        if null_run >= period {
            null_run = period;
            pos_sum = 0.0;
            neg_sum = 0.0;
        }
        slot = (slot + 1) % period;
        if today >= period {
            let total = pos_sum + neg_sum;
            let clamped = if pos_sum < 0.0 {
                0.0
            } else if pos_sum > total {
                total
            } else {
                pos_sum
            };
            out[today] = if total <= 0.0 {
                0.0
            } else {
                100.0 * (clamped / total)
            };
        }
    }
}

/// Ultimate oscillator (`TA_ULTOSC`): weighted buying pressure over three periods (sorted by TA-Lib).
pub fn ultosc(high: &[f64], low: &[f64], close: &[f64], periods: [usize; 3], out: &mut [f64]) {
    let mut sorted = periods;
    sorted.sort_unstable();
    let [p1, p2, p3] = sorted;
    let lookback = p3;
    if too_short(out, lookback) {
        return;
    }
    let terms = |i: usize| {
        let (h, l, cy) = (high[i], low[i], close[i - 1]);
        let true_low = if l < cy { l } else { cy };
        let close_minus_true_low = close[i] - true_low;
        let mut true_range = h - l;
        let d = (cy - h).abs();
        if d > true_range {
            true_range = d;
        }
        let d = (cy - l).abs();
        if d > true_range {
            true_range = d;
        }
        (close_minus_true_low, true_range)
    };
    let (mut a1, mut a2, mut a3, mut b1, mut b2, mut b3) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let start = lookback;
    for i in start + 1 - p3..start {
        let (a, b) = terms(i);
        if i + p1 > start {
            a1 += a;
            b1 += b;
        }
        if i + p2 > start {
            a2 += a;
            b2 += b;
        }
        a3 += a;
        b3 += b;
    }
    let mut unchanged = 0;
    for i in start + 1 - p3..start {
        let (a, b) = terms(i);
        unchanged = if a == 0.0 && b == 0.0 {
            unchanged + 1
        } else {
            0
        };
    }
    for today in start..close.len() {
        let (a, b) = terms(today);
        a1 += a;
        a2 += a;
        a3 += a;
        b1 += b;
        b2 += b;
        b3 += b;
        // A window of bars that all added nothing holds exactly zero, not the residue of its sums.
        unchanged = if a == 0.0 && b == 0.0 {
            unchanged + 1
        } else {
            0
        };
        if unchanged >= p1 {
            (a1, b1) = (0.0, 0.0);
        }
        if unchanged >= p2 {
            (a2, b2) = (0.0, 0.0);
        }
        if unchanged >= p3 {
            (a3, b3) = (0.0, 0.0);
        }
        let mut output = 0.0;
        if b1 > 0.0 {
            output += 4.0 * (a1 / b1);
        }
        if b2 > 0.0 {
            output += 2.0 * (a2 / b2);
        }
        if b3 > 0.0 {
            output += a3 / b3;
        }
        let (a, b) = terms(today + 1 - p1);
        a1 -= a;
        b1 -= b;
        let (a, b) = terms(today + 1 - p2);
        a2 -= a;
        b2 -= b;
        let (a, b) = terms(today + 1 - p3);
        a3 -= a;
        b3 -= b;
        out[today] = 100.0 * (output / 7.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cci_of_a_flat_series_is_zero() {
        let x = [5.0; 6];
        let mut out = [0.0; 6];
        cci(&x, &x, &x, 3, &mut out);
        assert!(out[..2].iter().all(|v| v.is_nan()));
        assert!(out[2..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn mfi_of_a_steady_rise_is_100() {
        let x: Vec<f64> = (1..=8).map(f64::from).collect();
        let mut out = [0.0; 8];
        mfi(&x, &x, &x, &[10.0; 8], 3, &mut out);
        assert!(out[..3].iter().all(|v| v.is_nan()));
        assert!(out[3..].iter().all(|&v| v == 100.0));
    }

    #[test]
    fn ultosc_of_closes_at_the_high_is_100() {
        let high: Vec<f64> = (1..=10).map(f64::from).collect();
        let low: Vec<f64> = high.iter().map(|h| h - 0.5).collect();
        let mut out = [0.0; 10];
        ultosc(&high, &low, &high, [2, 3, 4], &mut out);
        assert!(out[..4].iter().all(|v| v.is_nan()));
        assert!(
            out[4..].iter().all(|&v| (v - 100.0).abs() < 1e-12),
            "{out:?}"
        );
    }
}
