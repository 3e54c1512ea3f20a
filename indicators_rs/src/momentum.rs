//! Momentum indicators on one price series as pure kernels on slices: RSI, MACD, MOM, ROC, APO, PPO.
//!
//! Each kernel writes every row of its outputs: `f64::NAN` before the lookback, TA-Lib's value after.
// Index loops mirror TA-Lib's C, which reads several arrays at the same and at earlier bars.
#![allow(clippy::needless_range_loop)]

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

/// Lookback of MACD: the slow EMA's plus the signal EMA's.
pub fn macd_lookback(slow: usize, signal: usize) -> usize {
    (slow - 1) + (signal - 1)
}

/// MACD (`TA_MACD` / `TA_MACDFIX`) as a [`Recurrence`]: fast EMA - slow EMA, its EMA as signal, and their
/// difference; the state is the three EMAs.
///
/// Both price EMAs are seeded on windows ending at bar `slow - 1`, the signal EMA on the first `signal`
/// MACD values. `fast_k`/`slow_k` are the smoothing factors (TA-Lib's 0.15/0.075 for MACDFIX).
pub struct Macd {
    fast: usize,
    slow: usize,
    signal: usize,
    fast_k: f64,
    slow_k: f64,
    signal_k: f64,
}

impl Macd {
    /// MACD with the given periods (`fast <= slow`) and price smoothing factors.
    pub fn new((fast, slow, signal): (usize, usize, usize), (fast_k, slow_k): (f64, f64)) -> Self {
        Self {
            fast,
            slow,
            signal,
            fast_k,
            slow_k,
            signal_k: 2.0 / (signal as f64 + 1.0),
        }
    }

    /// MACD with TA-Lib's period rules: the periods are swapped when `slow < fast`.
    pub fn from_periods(fast: usize, slow: usize, signal: usize) -> Self {
        let (fast, slow) = if slow < fast {
            (slow, fast)
        } else {
            (fast, slow)
        };
        let k = |p: usize| 2.0 / (p as f64 + 1.0);
        Self::new((fast, slow, signal), (k(fast), k(slow)))
    }

    /// MACDFIX: 12/26 with TA-Lib's fixed smoothing factors 0.15 and 0.075.
    pub fn fixed(signal: usize) -> Self {
        Self::new((12, 26, signal), (0.15, 0.075))
    }
}

impl Recurrence<1, 3, 3> for Macd {
    fn lookback(&self) -> usize {
        macd_lookback(self.slow, self.signal)
    }

    fn settle(&self) -> usize {
        let slowest = [self.fast_k, self.slow_k, self.signal_k]
            .into_iter()
            .fold(1.0, f64::min);
        settle_bars(1.0 - slowest)
    }

    fn seed(&self, [input]: [&[f64]; 1], [macd, signal_out, hist]: [&mut [f64]; 3]) -> [f64; 3] {
        let (fast, slow, signal) = (self.fast, self.slow, self.signal);
        let lookback = self.lookback();
        for out in [&mut *macd, &mut *signal_out, &mut *hist] {
            out[..lookback].fill(f64::NAN);
        }
        let mut total = 0.0;
        let mut today = 0;
        for &x in &input[..slow - fast] {
            total += x;
            today += 1;
        }
        let mut prev_fast = 0.0;
        for &x in &input[slow - fast..slow] {
            prev_fast += x;
            total += x;
            today += 1;
        }
        let mut prev_slow = total / slow as f64;
        prev_fast /= fast as f64;
        let mut value = prev_fast - prev_slow;
        let mut prev_signal = 0.0 + value;
        for _ in 1..signal {
            let x = input[today];
            today += 1;
            prev_fast = (x - prev_fast).mul_add(self.fast_k, prev_fast);
            prev_slow = (x - prev_slow).mul_add(self.slow_k, prev_slow);
            value = prev_fast - prev_slow;
            prev_signal += value;
        }
        prev_signal /= signal as f64;
        macd[lookback] = value;
        signal_out[lookback] = prev_signal;
        hist[lookback] = value - prev_signal;
        [prev_fast, prev_slow, prev_signal]
    }

    fn guess(&self, [input]: [&[f64]; 1], at: usize) -> [f64; 3] {
        [input[at - 1], input[at - 1], 0.0]
    }

    #[inline(always)]
    fn step(
        &self,
        [fast, slow, signal]: &mut [f64; 3],
        [input]: [&[f64]; 1],
        i: usize,
    ) -> [f64; 3] {
        let x = input[i];
        *fast = (x - *fast).mul_add(self.fast_k, *fast);
        *slow = (x - *slow).mul_add(self.slow_k, *slow);
        let value = *fast - *slow;
        // A one-bar signal EMA is the MACD line itself in TA-Lib (no rounding through the update).
        *signal = if self.signal == 1 {
            value
        } else {
            (value - *signal).mul_add(self.signal_k, *signal)
        };
        [value, *signal, value - *signal]
    }
}

/// MACD with TA-Lib's period rules: the periods are swapped when `slow < fast`.
pub fn macd(input: &[f64], fast: usize, slow: usize, signal: usize, outs: [&mut [f64]; 3]) {
    recurrence::run(&Macd::from_periods(fast, slow, signal), [input], outs);
}

/// MACDFIX: MACD 12/26 with TA-Lib's fixed smoothing factors 0.15 and 0.075.
pub fn macdfix(input: &[f64], signal: usize, outs: [&mut [f64]; 3]) {
    recurrence::run(&Macd::fixed(signal), [input], outs);
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
    fn macd_of_a_constant_is_zero_after_its_lookback() {
        let input = [2.0; 40];
        let (mut m, mut s, mut h) = ([0.0; 40], [0.0; 40], [0.0; 40]);
        macd(&input, 12, 26, 9, [&mut m, &mut s, &mut h]);
        assert!(m[..33].iter().all(|v| v.is_nan()));
        assert!(m[33..]
            .iter()
            .chain(&s[33..])
            .chain(&h[33..])
            .all(|&v| v == 0.0));
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
