//! Bollinger bands (`TA_BBANDS`) as a pure kernel on slices: a moving average and the population
//! standard deviation computed the way TA-Lib 0.8.1 does.

use crate::dispatch::fma_kernel;
use crate::overlap::{ma, ma_lookback, too_short, MaType};

fma_kernel! {
/// Bollinger bands (`TA_BBANDS`): `middle` is the moving average, the bands add and subtract `nbdev`
/// population standard deviations.
#[allow(clippy::too_many_arguments)]
pub fn bbands(
    input: &[f64],
    period: usize,
    nbdevup: f64,
    nbdevdn: f64,
    matype: MaType,
    upper: &mut [f64],
    middle: &mut [f64],
    lower: &mut [f64],
) {
    let lookback = ma_lookback(period, matype).max(period - 1);
    ma(input, period, matype, middle);
    if too_short(upper, lookback) {
        middle.fill(f64::NAN);
        lower.fill(f64::NAN);
        return;
    }
    middle[..lookback].fill(f64::NAN);
    lower[..lookback].fill(f64::NAN);
    // The standard deviation goes into `lower` first, then both bands are derived from it.
    shifted_stddev(input, period, &mut lower[lookback + 1 - period..]);
    for i in lookback..input.len() {
        let sd = lower[i];
        let m = middle[i];
        upper[i] = sd.mul_add(nbdevup, m);
        lower[i] = m - sd * nbdevdn;
    }
}
}

/// Rolling population standard deviation as TA-Lib 0.8.1's BBANDS computes it next to its SMA.
///
/// The sums are of deviations from a shift `k` (first the run's first bar, later the window mean), and
/// the window is re-summed around a new shift whenever cancellation threatens (variance below 1e-6 of
/// the mean square, or a departing bar dwarfing the rest) and at least every `32 * period` bars.
fn shifted_stddev(input: &[f64], period: usize, out: &mut [f64]) {
    let lookback = period - 1;
    let inv = 1.0 / period as f64;
    let resync_every = 32 * period;
    let mut k = input[0];
    let (mut sum1, mut sum2) = (0.0, 0.0);
    for &x in &input[..lookback] {
        let d = x - k;
        sum1 += d;
        sum2 += d * d;
    }
    let mut countdown = resync_every;
    for i in lookback..input.len() {
        let d = input[i] - k;
        sum1 += d;
        sum2 += d * d;
        let mean1 = inv * sum1;
        let variance = inv * sum2 - mean1 * mean1;
        let start = i + 1 - period;
        let old = input[start] - k;
        let old2 = old * old;
        sum2 -= old2;
        let resync = if inv * sum2 * 1e-6 > variance || old2 > sum2 * 1e6 {
            true
        } else {
            countdown -= 1;
            countdown == 0
        };
        if !resync {
            sum1 -= old;
            out[i] = if variance == 0.0 {
                0.0
            } else {
                variance.sqrt()
            };
            continue;
        }
        countdown = resync_every;
        let mut total = 0.0;
        for &x in &input[start..=i] {
            total += x;
        }
        k = total * inv;
        sum1 = 0.0;
        sum2 = 0.0;
        for &x in &input[start..=i] {
            let d = x - k;
            sum1 += d;
            sum2 += d * d;
        }
        let mean1 = inv * sum1;
        let mean2 = inv * sum2;
        let variance = mean2 - mean1 * mean1;
        let threshold = mean2 * 1e-12;
        let old = input[start] - k;
        sum1 -= old;
        sum2 -= old * old;
        out[i] = if threshold > variance || variance == 0.0 {
            0.0
        } else {
            variance.sqrt()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbands_of_a_constant_collapse_onto_the_middle() {
        let input = [3.0; 10];
        let (mut up, mut mid, mut lo) = ([0.0; 10], [0.0; 10], [0.0; 10]);
        bbands(&input, 5, 2.0, 2.0, MaType::Sma, &mut up, &mut mid, &mut lo);
        assert!(up[..4].iter().all(|v| v.is_nan()));
        assert_eq!(&up[4..], &[3.0; 6]);
        assert_eq!(&lo[4..], &[3.0; 6]);
    }
}
