//! Momentum indicators on one price series as pure kernels on slices: RSI, MACD, MOM, ROC, APO, PPO.
//!
//! Each kernel writes every row of its outputs: `f64::NAN` before the lookback, TA-Lib's value after.
// Index loops mirror TA-Lib's C, which reads several arrays at the same and at earlier bars.
#![allow(clippy::needless_range_loop)]

use crate::dispatch::fma_kernel;

use crate::overlap::{ma, ma_lookback, too_short, MaType};

/// Relative strength index (`TA_RSI`), Wilder smoothing; lookback `period`.
///
/// TA-Lib 0.8.1 splits each change into a gain `g = max(change, 0)` and a loss `g - change`, and smooths
/// both with `(avg * (period - 1) + part) * (1 / period)`; a zero total gives 0.
pub fn rsi(input: &[f64], period: usize, out: &mut [f64]) {
    if too_short(out, period) {
        return;
    }
    let inv = 1.0 / period as f64;
    let p1 = (period - 1) as f64;
    let parts = |i: usize| {
        let change = input[i] - input[i - 1];
        let gain = if 0.0 < change { change } else { 0.0 };
        (gain, gain - change)
    };
    let value = |gain: f64, loss: f64| {
        let total = loss + gain;
        if total > 0.0 {
            gain / total * 100.0
        } else {
            0.0
        }
    };
    let mut gain = 0.0;
    let mut loss = 0.0;
    for i in 1..=period {
        let (g, l) = parts(i);
        gain += g;
        loss += l;
    }
    gain *= inv;
    loss *= inv;
    out[period] = value(gain, loss);
    for i in period + 1..input.len() {
        let (g, l) = parts(i);
        gain = (gain * p1 + g) * inv;
        loss = (l + loss * p1) * inv;
        out[i] = value(gain, loss);
    }
}

/// Lookback of MACD: the slow EMA's plus the signal EMA's.
pub fn macd_lookback(slow: usize, signal: usize) -> usize {
    (slow - 1) + (signal - 1)
}

fma_kernel! {
/// MACD (`TA_MACD` / `TA_MACDFIX`): fast EMA - slow EMA, its EMA as signal, and their difference.
///
/// Both price EMAs are seeded on windows ending at bar `slow - 1`, the signal EMA on the first `signal`
/// MACD values. `fast_k`/`slow_k` are the smoothing factors (TA-Lib's 0.15/0.075 for MACDFIX).
#[allow(clippy::too_many_arguments)]
pub fn macd_with_k(
    input: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
    fast_k: f64,
    slow_k: f64,
    macd: &mut [f64],
    signal_out: &mut [f64],
    hist: &mut [f64],
) {
    let lookback = macd_lookback(slow, signal);
    if too_short(macd, lookback) {
        signal_out.fill(f64::NAN);
        hist.fill(f64::NAN);
        return;
    }
    signal_out[..lookback].fill(f64::NAN);
    hist[..lookback].fill(f64::NAN);
    let signal_k = 2.0 / (signal as f64 + 1.0);
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
        prev_fast = (x - prev_fast).mul_add(fast_k, prev_fast);
        prev_slow = (x - prev_slow).mul_add(slow_k, prev_slow);
        value = prev_fast - prev_slow;
        prev_signal += value;
    }
    prev_signal /= signal as f64;
    macd[lookback] = value;
    signal_out[lookback] = prev_signal;
    hist[lookback] = value - prev_signal;
    while today < input.len() {
        let x = input[today];
        prev_fast = (x - prev_fast).mul_add(fast_k, prev_fast);
        prev_slow = (x - prev_slow).mul_add(slow_k, prev_slow);
        value = prev_fast - prev_slow;
        // A one-bar signal EMA is the MACD line itself in TA-Lib (no rounding through the update).
        prev_signal = if signal == 1 {
            value
        } else {
            (value - prev_signal).mul_add(signal_k, prev_signal)
        };
        macd[today] = value;
        signal_out[today] = prev_signal;
        hist[today] = value - prev_signal;
        today += 1;
    }
}
}

/// MACD with TA-Lib's period rules: the periods are swapped when `slow < fast`.
pub fn macd(input: &[f64], fast: usize, slow: usize, signal: usize, outs: [&mut [f64]; 3]) {
    let (fast, slow) = if slow < fast {
        (slow, fast)
    } else {
        (fast, slow)
    };
    let [m, s, h] = outs;
    let k = |p: usize| 2.0 / (p as f64 + 1.0);
    macd_with_k(input, fast, slow, signal, k(fast), k(slow), m, s, h);
}

/// MACDFIX: MACD 12/26 with TA-Lib's fixed smoothing factors 0.15 and 0.075.
pub fn macdfix(input: &[f64], signal: usize, outs: [&mut [f64]; 3]) {
    let [m, s, h] = outs;
    macd_with_k(input, 12, 26, signal, 0.15, 0.075, m, s, h);
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
