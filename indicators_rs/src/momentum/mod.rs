//! Momentum indicators on one price series as pure kernels on slices: RSI, MACD, MOM, ROC, APO, PPO.
//!
//! Each kernel writes every row of its outputs: `f64::NAN` before the lookback, TA-Lib's value after.
//!
//! MACD, a recurrence of three EMAs, lives in `macd`.
// Index loops mirror TA-Lib's C, which reads several arrays at the same and at earlier bars.
#![allow(clippy::needless_range_loop)]

mod macd;

pub use macd::{macd, macd_lookback, macdfix, Macd};

use crate::overlap::{ma, ma_lookback, too_short, MaType};
use crate::recurrence::{self, settle_bars, Recurrence};

/// Relative strength index (`TA_RSI`), Wilder smoothing; lookback `period`.
///
/// TA-Lib 0.8.1 splits each change into a gain `g = max(change, 0)` and a loss `g - change`, and smooths
/// both with `(avg * (period - 1) + part) * (1 / period)`; a zero total gives 0.
pub fn rsi(input: &[f64], period: usize, out: &mut [f64]) {
    recurrence::run(&Rsi::new(period), [input], [out]);
}

/// RSI as a [`Recurrence`]: the state is the smoothed gain and loss.
pub struct Rsi {
    period: usize,
    inv: f64,
    p1: f64,
}

impl Rsi {
    pub fn new(period: usize) -> Self {
        Self {
            period,
            inv: 1.0 / period as f64,
            p1: (period - 1) as f64,
        }
    }

    /// Today's gain and loss from the change of the price.
    #[inline(always)]
    fn parts(input: &[f64], i: usize) -> (f64, f64) {
        let change = input[i] - input[i - 1];
        let gain = if 0.0 < change { change } else { 0.0 };
        (gain, gain - change)
    }

    #[inline(always)]
    fn value(gain: f64, loss: f64) -> f64 {
        let total = loss + gain;
        if total > 0.0 {
            gain / total * 100.0
        } else {
            0.0
        }
    }
}

impl Recurrence<1, 1, 2> for Rsi {
    fn lookback(&self) -> usize {
        self.period
    }

    fn settle(&self) -> usize {
        settle_bars(self.p1 * self.inv)
    }

    fn seed(&self, [input]: [&[f64]; 1], [out]: [&mut [f64]; 1]) -> [f64; 2] {
        let period = self.period;
        out[..period].fill(f64::NAN);
        let (mut gain, mut loss) = (0.0, 0.0);
        for i in 1..=period {
            let (g, l) = Self::parts(input, i);
            gain += g;
            loss += l;
        }
        gain *= self.inv;
        loss *= self.inv;
        out[period] = Self::value(gain, loss);
        [gain, loss]
    }

    fn guess(&self, _: [&[f64]; 1], _: usize) -> [f64; 2] {
        [0.0, 0.0]
    }

    #[inline(always)]
    fn step(&self, [gain, loss]: &mut [f64; 2], [input]: [&[f64]; 1], i: usize) -> [f64; 1] {
        let (g, l) = Self::parts(input, i);
        *gain = (*gain * self.p1 + g) * self.inv;
        *loss = (l + *loss * self.p1) * self.inv;
        [Self::value(*gain, *loss)]
    }
}

/// Momentum (`TA_MOM`): today minus `period` bars ago.
pub fn mom(input: &[f64], period: usize, out: &mut [f64]) {
    if too_short(out, period) {
        return;
    }
    for i in period..input.len() {
        out[i] = input[i] - input[i - period];
    }
}

/// Rate of change (`TA_ROC`): `(today / then - 1) * 100`, 0 when `then` is 0.
pub fn roc(input: &[f64], period: usize, out: &mut [f64]) {
    if too_short(out, period) {
        return;
    }
    for i in period..input.len() {
        let then = input[i - period];
        out[i] = if then != 0.0 {
            ((input[i] / then) - 1.0) * 100.0
        } else {
            0.0
        };
    }
}

/// Absolute (APO) or percentage (PPO) price oscillator (TA-Lib's `TA_INT_PO`).
///
/// Both averages start from the first bar, as in TA-Lib 0.8.1 (so an EMA fast average is seeded on the
/// first `fast` bars, unlike MACD's).
pub fn price_oscillator(
    input: &[f64],
    fast: usize,
    slow: usize,
    matype: MaType,
    percent: bool,
    out: &mut [f64],
) {
    let (fast, slow) = if slow < fast {
        (slow, fast)
    } else {
        (fast, slow)
    };
    let lookback = ma_lookback(slow, matype);
    if too_short(out, lookback) {
        return;
    }
    let mut slow_ma = vec![0.0; input.len()];
    ma(input, slow, matype, &mut slow_ma);
    ma(input, fast, matype, out);
    out[..lookback].fill(f64::NAN);
    for i in lookback..input.len() {
        let (f, s) = (out[i], slow_ma[i]);
        out[i] = if !percent {
            f - s
        } else if !crate::overlap::is_zero(s) {
            ((f - s) / s) * 100.0
        } else {
            0.0
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsi_of_a_steady_rise_is_100_and_of_a_flat_line_is_0() {
        let rising: Vec<f64> = (0..20).map(f64::from).collect();
        let mut out = vec![0.0; 20];
        rsi(&rising, 14, &mut out);
        assert!(out[..14].iter().all(|v| v.is_nan()));
        assert!(out[14..].iter().all(|&v| v == 100.0));
        rsi(&[5.0; 20], 14, &mut out);
        assert!(out[14..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn mom_and_roc_compare_with_the_bar_period_ago() {
        let input = [1.0, 2.0, 4.0, 0.0, 8.0];
        let mut out = [0.0; 5];
        mom(&input, 2, &mut out);
        assert_eq!(&out[2..], &[3.0, -2.0, 4.0]);
        roc(&input, 1, &mut out);
        assert_eq!(&out[1..], &[100.0, 100.0, -100.0, 0.0]);
    }

    #[test]
    fn short_inputs_give_only_warm_up() {
        for len in 0..5 {
            let input = vec![1.0; len];
            let mut out = vec![0.0; len];
            rsi(&input, 4, &mut out);
            price_oscillator(&input, 2, 5, MaType::Ema, true, &mut out);
            assert!(out.iter().all(|v| v.is_nan()));
        }
    }
}
