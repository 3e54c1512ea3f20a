//! Averages built on EMAs: DEMA and TEMA (chains of two and three EMAs) and KAMA (an EMA whose factor
//! follows the efficiency ratio), compiled with fused multiply-add as TA-Lib is.

use super::too_short;
use crate::dispatch::fma_kernel;

fma_kernel! {
/// Double EMA (`TA_DEMA`): `2 * ema1 - ema2`, both EMAs advanced in one pass.
pub fn dema(input: &[f64], period: usize, out: &mut [f64]) {
    if period == 1 {
        out.copy_from_slice(input);
        return;
    }
    let lb = period - 1;
    if too_short(out, 2 * lb) {
        return;
    }
    let k = 2.0 / (period as f64 + 1.0);
    let p = period as f64;
    let mut total = 0.0;
    for &x in &input[..period] {
        total += x;
    }
    let mut e1 = total / p;
    let mut total2 = e1;
    let mut today = period;
    for _ in 1..period {
        e1 = (input[today] - e1).mul_add(k, e1);
        total2 += e1;
        today += 1;
    }
    let mut e2 = total2 / p;
    out[2 * lb] = 2.0f64.mul_add(e1, -e2);
    while today < input.len() {
        e1 = (input[today] - e1).mul_add(k, e1);
        e2 = (e1 - e2).mul_add(k, e2);
        out[today] = 2.0f64.mul_add(e1, -e2);
        today += 1;
    }
}
}

fma_kernel! {
/// Triple EMA (`TA_TEMA`): `ema3 + (3 * ema1 - 3 * ema2)`, the three EMAs advanced in one pass.
pub fn tema(input: &[f64], period: usize, out: &mut [f64]) {
    if period == 1 {
        out.copy_from_slice(input);
        return;
    }
    let lb = period - 1;
    if too_short(out, 3 * lb) {
        return;
    }
    let k = 2.0 / (period as f64 + 1.0);
    let p = period as f64;
    let mut total = 0.0;
    for &x in &input[..period] {
        total += x;
    }
    let mut e1 = total / p;
    let mut today = period;
    let mut total2 = e1;
    for _ in 1..period {
        e1 = (input[today] - e1).mul_add(k, e1);
        total2 += e1;
        today += 1;
    }
    let mut e2 = total2 / p;
    let mut total3 = e2;
    for _ in 1..period {
        e1 = (input[today] - e1).mul_add(k, e1);
        e2 = (e1 - e2).mul_add(k, e2);
        total3 += e2;
        today += 1;
    }
    let mut e3 = total3 / p;
    let combine = |e1: f64, e2: f64, e3: f64| (3.0 * e1 - 3.0 * e2) + e3;
    out[3 * lb] = combine(e1, e2, e3);
    while today < input.len() {
        e1 = (input[today] - e1).mul_add(k, e1);
        e2 = (e1 - e2).mul_add(k, e2);
        e3 = (e2 - e3).mul_add(k, e3);
        out[today] = combine(e1, e2, e3);
        today += 1;
    }
}
}

fma_kernel! {
/// Kaufman adaptive moving average (`TA_KAMA`): an EMA whose factor follows the efficiency ratio.
///
/// As in TA-Lib 0.8.1 the ratio is 1 when the path length is not positive or not longer than the net
/// change, and is capped at 1; after `period` unchanged bars in a row the path length is exactly 0 (so
/// the residue of its running sum cannot skew the ratio once prices move again).
pub fn kama(input: &[f64], period: usize, out: &mut [f64]) {
    if period == 1 {
        out.copy_from_slice(input);
        return;
    }
    if too_short(out, period) {
        return;
    }
    let const_max = 2.0 / (30.0 + 1.0);
    let const_diff = 2.0 / (2.0 + 1.0) - const_max;
    let smoothing = |sum_roc1: f64, period_roc: f64| {
        let ratio = if 0.0 >= sum_roc1 || period_roc >= sum_roc1 {
            1.0
        } else {
            let r = (period_roc / sum_roc1).abs();
            if 1.0 < r {
                1.0
            } else {
                r
            }
        };
        let sc = ratio.mul_add(const_diff, const_max);
        sc * sc
    };
    let mut sum_roc1 = 0.0;
    let mut unchanged = 0;
    for i in 0..period {
        let change = input[i + 1] - input[i];
        unchanged = if change == 0.0 { unchanged + 1 } else { 0 };
        sum_roc1 += (input[i] - input[i + 1]).abs();
    }
    if unchanged >= period {
        sum_roc1 = 0.0;
    }
    let today = period;
    let mut prev = input[today - 1];
    let mut trailing_value = input[0];
    let sc = smoothing(sum_roc1, input[today] - trailing_value);
    prev = (input[today] - prev).mul_add(sc, prev);
    out[today] = prev;
    for today in period + 1..input.len() {
        let x = input[today];
        let trailing = input[today - period];
        let change = x - input[today - 1];
        unchanged = if change == 0.0 { unchanged + 1 } else { 0 };
        sum_roc1 -= (trailing_value - trailing).abs();
        sum_roc1 += change.abs();
        if unchanged >= period {
            sum_roc1 = 0.0;
        }
        trailing_value = trailing;
        let sc = smoothing(sum_roc1, x - trailing);
        prev = (x - prev).mul_add(sc, prev);
        out[today] = prev;
    }
}
}
