//! MACD (`TA_MACD`, `TA_MACDFIX`) as a [`Recurrence`] of three EMAs, so one long series runs on two cores.

use crate::recurrence::{self, settle_bars, Recurrence};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
