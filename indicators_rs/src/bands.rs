//! Bollinger bands (`TA_BBANDS`) as a pure kernel on slices: a moving average and the population
//! standard deviation computed the way TA-Lib 0.8.1 does.

use std::thread;

use crate::dispatch::fma_kernel;
use crate::overlap::{ma, ma_lookback, too_short, MaType};
use crate::segments;

/// Bollinger bands (`TA_BBANDS`): `middle` is the moving average, the bands add and subtract `nbdev`
/// population standard deviations.
pub fn bbands(input: &[f64], params: Bands, [upper, middle, lower]: [&mut [f64]; 3]) {
    ma(input, params.period, params.matype, middle);
    if let Some(lookback) = params.prepare(upper, middle, lower) {
        // TA-Lib starts the deviation's sums where the average's first output needs them.
        let start = lookback + 1 - params.period;
        shifted_stddev(&input[start..], params.period, &mut lower[start..]);
        params.combine(
            &middle[lookback..],
            &mut upper[lookback..],
            &mut lower[lookback..],
        );
    }
}

/// [`bbands`] of one long series on two threads: the moving average on one, the standard deviation on
/// the other. Returns false, the outputs unspecified, when some bar is missing.
pub fn bbands_split(input: &[f64], params: Bands, [upper, middle, lower]: [&mut [f64]; 3]) -> bool {
    let n = input.len();
    let all_valid = thread::scope(|scope| {
        let average = scope.spawn(|| ma(input, params.period, params.matype, middle));
        let all_valid = segments::all_valid(&[input], 0, n);
        let lookback = params.lookback();
        if all_valid && n > lookback {
            let start = lookback + 1 - params.period;
            shifted_stddev(&input[start..], params.period, &mut lower[start..]);
        }
        if let Err(panic) = average.join() {
            std::panic::resume_unwind(panic);
        }
        all_valid
    });
    if !all_valid {
        return false;
    }
    // The standard deviation fills `lower` from the lookback on; the warm-up rows become NaN.
    let Some(lookback) = params.prepare(upper, middle, lower) else {
        return true;
    };
    let half = lookback + (n - lookback) / 2;
    let (upper_head, upper_tail) = upper.split_at_mut(half);
    let (lower_head, lower_tail) = lower.split_at_mut(half);
    thread::scope(|scope| {
        let middle = &*middle;
        scope.spawn(move || params.combine(&middle[half..], upper_tail, lower_tail));
        params.combine(
            &middle[lookback..half],
            &mut upper_head[lookback..],
            &mut lower_head[lookback..],
        );
    });
    true
}

/// The parameters of a BBANDS call.
#[derive(Clone, Copy, Debug)]
pub struct Bands {
    pub period: usize,
    pub nbdevup: f64,
    pub nbdevdn: f64,
    pub matype: MaType,
}

impl Bands {
    /// Rows without output: the longer of the average's and the standard deviation's warm-up.
    pub fn lookback(&self) -> usize {
        ma_lookback(self.period, self.matype).max(self.period - 1)
    }

    /// Writes the warm-up NaNs once the average is in `middle`; returns the lookback, or `None` when there
    /// are too few rows for any output (every output is then NaN).
    fn prepare(&self, upper: &mut [f64], middle: &mut [f64], lower: &mut [f64]) -> Option<usize> {
        let lookback = self.lookback();
        if too_short(upper, lookback) {
            middle.fill(f64::NAN);
            lower.fill(f64::NAN);
            return None;
        }
        middle[..lookback].fill(f64::NAN);
        lower[..lookback].fill(f64::NAN);
        Some(lookback)
    }

    /// The bands from the average and, in `lower` on entry, the standard deviation.
    fn combine(&self, middle: &[f64], upper: &mut [f64], lower: &mut [f64]) {
        combine_bands(middle, upper, lower, self.nbdevup, self.nbdevdn);
    }
}

fma_kernel! {
fn combine_bands(middle: &[f64], upper: &mut [f64], lower: &mut [f64], nbdevup: f64, nbdevdn: f64) {
    for ((u, l), &m) in upper.iter_mut().zip(lower.iter_mut()).zip(middle) {
        let sd = *l;
        *u = sd.mul_add(nbdevup, m);
        *l = m - sd * nbdevdn;
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
        let params = Bands {
            period: 5,
            nbdevup: 2.0,
            nbdevdn: 2.0,
            matype: MaType::Sma,
        };
        bbands(&input, params, [&mut up, &mut mid, &mut lo]);
        assert!(up[..4].iter().all(|v| v.is_nan()));
        assert_eq!(&up[4..], &[3.0; 6]);
        assert_eq!(&lo[4..], &[3.0; 6]);
    }
}
