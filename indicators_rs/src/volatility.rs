//! Volatility indicators: TRANGE, ATR and NATR, as pure kernels on slices.
// Index loops mirror TA-Lib's C, which reads several arrays at the same and at earlier bars.
#![allow(clippy::needless_range_loop)]

use std::ops::Range;

use crate::recurrence::{self, settle_bars, Recurrence, Seen};

use crate::overlap::too_short;

/// True range of one bar: the largest of high - low and the distances of both to the previous close.
#[inline]
pub fn true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    let mut greatest = high - low;
    let to_high = (prev_close - high).abs();
    if to_high > greatest {
        greatest = to_high;
    }
    let to_low = (prev_close - low).abs();
    if to_low > greatest {
        greatest = to_low;
    }
    greatest
}

/// True range (`TA_TRANGE`); the first bar has no previous close and stays warm-up.
pub fn trange(high: &[f64], low: &[f64], close: &[f64], out: &mut [f64]) {
    if too_short(out, 1) {
        return;
    }
    for i in 1..close.len() {
        out[i] = true_range(high[i], low[i], close[i - 1]);
    }
}

/// Average true range (`TA_ATR`) with Wilder smoothing; a period of 1 is the true range.
///
/// TA-Lib 0.8.1 smooths as `atr * ((p - 1) / p) + tr * (1 - (p - 1) / p)` with one fused multiply-add.
pub fn atr(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    average_true_range(high, low, close, period, false, out);
}

/// Normalized ATR (`TA_NATR`): ATR / close * 100, 0 when the close is 0.
pub fn natr(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    average_true_range(high, low, close, period, true, out);
}

fn average_true_range(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    normalize: bool,
    out: &mut [f64],
) {
    if period <= 1 {
        trange(high, low, close, out);
    } else {
        recurrence::run(&Atr::new(period, normalize), [high, low, close], [out]);
    }
}

/// ATR or NATR as a [`Recurrence`] (the state is the average true range), for periods of 2 and more.
pub struct Atr {
    period: usize,
    alpha: f64,
    beta: f64,
    normalize: bool,
}

impl Atr {
    /// ATR, or NATR when `normalize`.
    pub fn new(period: usize, normalize: bool) -> Self {
        debug_assert!(period >= 2, "a one-bar ATR is the true range");
        let alpha = (period - 1) as f64 / period as f64;
        Self {
            period,
            alpha,
            beta: 1.0 - alpha,
            normalize,
        }
    }

    #[inline(always)]
    fn emit(&self, atr: f64, close: f64) -> f64 {
        if !self.normalize {
            atr
        } else if close == 0.0 {
            0.0
        } else {
            atr / close * 100.0
        }
    }
}

impl Recurrence<3, 1, 1> for Atr {
    fn lookback(&self) -> usize {
        self.period
    }

    fn settle(&self) -> usize {
        settle_bars(self.alpha)
    }

    fn seed(&self, [high, low, close]: [&[f64]; 3], [out]: [&mut [f64]; 1]) -> [f64; 1] {
        let period = self.period;
        out[..period].fill(f64::NAN);
        let mut total = 0.0;
        for i in 1..=period {
            total += true_range(high[i], low[i], close[i - 1]);
        }
        let prev = total / period as f64;
        out[period] = self.emit(prev, close[period]);
        [prev]
    }

    fn guess(&self, [high, low, _]: [&[f64]; 3], at: usize) -> [f64; 1] {
        [high[at - 1] - low[at - 1]]
    }

    #[inline(always)]
    fn step(&self, [prev]: &mut [f64; 1], [high, low, close]: [&[f64]; 3], i: usize) -> [f64; 1] {
        *prev = self.next(*prev, high[i], low[i], close[i - 1]);
        [self.emit(*prev, close[i])]
    }

    /// The same steps over zipped slices: no bounds checks in a loop that is otherwise a handful of
    /// instructions around one fused multiply-add.
    #[inline(always)]
    fn step_rows(
        &self,
        [prev]: &mut [f64; 1],
        [high, low, close]: [&[f64]; 3],
        [out]: &mut [&mut [f64]; 1],
        rows: Range<usize>,
        offset: usize,
    ) -> Option<Seen> {
        let (start, end) = (rows.start, rows.end);
        let bars = high[start..end]
            .iter()
            .zip(&low[start..end])
            .zip(&close[start - 1..end - 1])
            .zip(&close[start..end]);
        let mut atr = *prev;
        for (o, (((&h, &l), &prior_close), &c)) in
            out[start - offset..end - offset].iter_mut().zip(bars)
        {
            atr = self.next(atr, h, l, prior_close);
            *o = self.emit(atr, c);
        }
        *prev = atr;
        None
    }
}

impl Atr {
    /// Wilder's smoothing of the previous ATR with this bar's true range.
    #[inline(always)]
    fn next(&self, prev: f64, high: f64, low: f64, prior_close: f64) -> f64 {
        prev.mul_add(self.alpha, true_range(high, low, prior_close) * self.beta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atr_steps_a_block_of_rows_exactly_as_row_by_row() {
        let n = 1000;
        let close: Vec<f64> = (0..n)
            .map(|k| {
                if k % 97 == 0 {
                    0.0
                } else {
                    50.0 + (k % 23) as f64 * 0.37
                }
            })
            .collect();
        let high: Vec<f64> = close
            .iter()
            .enumerate()
            .map(|(k, c)| c + (k % 7) as f64 * 0.11)
            .collect();
        let low: Vec<f64> = close
            .iter()
            .enumerate()
            .map(|(k, c)| c - (k % 5) as f64 * 0.13)
            .collect();
        for normalize in [false, true] {
            let r = Atr::new(14, normalize);
            recurrence::assert_step_rows_is_step(&r, [&high, &low, &close], 1..n, [3.0]);
        }
    }

    #[test]
    fn true_range_covers_gaps_from_the_previous_close() {
        assert_eq!(true_range(10.0, 9.0, 9.5), 1.0);
        assert_eq!(true_range(10.0, 9.0, 12.0), 3.0);
        assert_eq!(true_range(10.0, 9.0, 7.0), 3.0);
    }

    #[test]
    fn atr_of_constant_ranges_is_that_range_and_natr_scales_it() {
        let high = [11.0; 8];
        let low = [9.0; 8];
        let close = [10.0; 8];
        let mut out = [0.0; 8];
        atr(&high, &low, &close, 3, &mut out);
        assert!(out[..3].iter().all(|v| v.is_nan()));
        assert!(out[3..].iter().all(|&v| v == 2.0));
        natr(&high, &low, &close, 3, &mut out);
        assert!(out[3..].iter().all(|&v| v == 20.0));
    }

    #[test]
    fn short_inputs_are_all_warm_up() {
        for len in 0..=3 {
            let x = vec![1.0; len];
            let mut out = vec![0.0; len];
            atr(&x, &x, &x, 3, &mut out);
            assert!(out.iter().all(|v| v.is_nan()));
        }
    }
}
