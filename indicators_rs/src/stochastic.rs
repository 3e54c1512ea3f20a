//! Indicators built on the highest high and lowest low of a window: STOCH, STOCHF, STOCHRSI, WILLR,
//! AROON and AROONOSC, as pure kernels on slices.
//!
//! The window extremes are tracked exactly as TA-Lib tracks them (an index per extreme, a rescan of the
//! window when it falls out), including which of two equal extremes is kept, so even the sign of a zero
//! and AROON's distance to a tied extreme match.
// Index loops mirror TA-Lib's C, which reads several arrays at the same and at earlier bars.
#![allow(clippy::needless_range_loop)]

use crate::momentum::rsi;
use crate::overlap::{ma, ma_lookback, too_short, MaType};

/// The running lowest low and highest high of the bars `today - lookback ..= today`.
struct Extremes {
    lowest: f64,
    highest: f64,
    lowest_idx: Option<usize>,
    highest_idx: Option<usize>,
    /// Whether a rescan keeps the latest of equal extremes (AROON) or the earliest (STOCH, WILLR).
    rescan_keeps_latest: bool,
}

impl Extremes {
    fn new(rescan_keeps_latest: bool) -> Self {
        Self {
            lowest: 0.0,
            highest: 0.0,
            lowest_idx: None,
            highest_idx: None,
            rescan_keeps_latest,
        }
    }

    /// Moves the window to end at `today` (starting at `trailing`); returns whether an extreme changed.
    fn update(&mut self, high: &[f64], low: &[f64], trailing: usize, today: usize) -> bool {
        let mut changed = false;
        let tmp = low[today];
        if self.lowest_idx.is_none_or(|i| i < trailing) {
            let mut idx = trailing;
            let mut lowest = low[trailing];
            for (i, &v) in low.iter().enumerate().take(today + 1).skip(trailing + 1) {
                if v < lowest || (self.rescan_keeps_latest && v == lowest) {
                    idx = i;
                    lowest = v;
                }
            }
            self.lowest_idx = Some(idx);
            self.lowest = lowest;
            changed = true;
        } else if tmp <= self.lowest {
            self.lowest_idx = Some(today);
            self.lowest = tmp;
            changed = true;
        }
        let tmp = high[today];
        if self.highest_idx.is_none_or(|i| i < trailing) {
            let mut idx = trailing;
            let mut highest = high[trailing];
            for (i, &v) in high.iter().enumerate().take(today + 1).skip(trailing + 1) {
                if v > highest || (self.rescan_keeps_latest && v == highest) {
                    idx = i;
                    highest = v;
                }
            }
            self.highest_idx = Some(idx);
            self.highest = highest;
            changed = true;
        } else if tmp >= self.highest {
            self.highest_idx = Some(today);
            self.highest = tmp;
            changed = true;
        }
        changed
    }
}

/// Raw fast %K of `period` bars into `out` (NaN for the first `period - 1` rows).
///
/// TA-Lib 0.8.1: `(close - lowest) / (highest - lowest) * 100`, and 0 when the range is within 1e-14 of
/// the extremes' magnitude.
fn fast_k(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    let lookback = period - 1;
    if too_short(out, lookback) {
        return;
    }
    let mut window = Extremes::new(false);
    for today in lookback..close.len() {
        window.update(high, low, today - lookback, today);
        let (h, l) = (window.highest, window.lowest);
        let range = h - l;
        out[today] = if (h.abs() + l.abs()) * 1e-14 >= range.abs() {
            0.0
        } else {
            (close[today] - l) / range * 100.0
        };
    }
}

/// Slow stochastic (`TA_STOCH`): `[slowk, slowd]`, both starting at the total lookback.
#[allow(clippy::too_many_arguments)]
pub fn stoch(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    fastk_period: usize,
    slowk_period: usize,
    slowk_matype: MaType,
    slowd_period: usize,
    slowd_matype: MaType,
    outs: [&mut [f64]; 2],
) {
    let [slow_k, slow_d] = outs;
    let lookback_k = fastk_period - 1;
    let lookback_k_slow = lookback_k + ma_lookback(slowk_period, slowk_matype);
    let lookback = lookback_k_slow + ma_lookback(slowd_period, slowd_matype);
    if too_short(slow_k, lookback) {
        slow_d.fill(f64::NAN);
        return;
    }
    // Raw %K goes into slow_d, its average into slow_k, and that one's average back into slow_d.
    fast_k(high, low, close, fastk_period, slow_d);
    slow_k[..lookback_k].fill(f64::NAN);
    ma(
        &slow_d[lookback_k..],
        slowk_period,
        slowk_matype,
        &mut slow_k[lookback_k..],
    );
    slow_d[..lookback_k_slow].fill(f64::NAN);
    ma(
        &slow_k[lookback_k_slow..],
        slowd_period,
        slowd_matype,
        &mut slow_d[lookback_k_slow..],
    );
    slow_k[..lookback].fill(f64::NAN);
}

/// Fast stochastic (`TA_STOCHF`) of any three series: `[fastk, fastd]`, both from the total lookback.
#[allow(clippy::too_many_arguments)]
pub fn stochf(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    fastk_period: usize,
    fastd_period: usize,
    fastd_matype: MaType,
    outs: [&mut [f64]; 2],
) {
    let [k, d] = outs;
    let lookback_k = fastk_period - 1;
    let lookback = lookback_k + ma_lookback(fastd_period, fastd_matype);
    if too_short(k, lookback) {
        d.fill(f64::NAN);
        return;
    }
    fast_k(high, low, close, fastk_period, k);
    d[..lookback_k].fill(f64::NAN);
    ma(
        &k[lookback_k..],
        fastd_period,
        fastd_matype,
        &mut d[lookback_k..],
    );
    k[..lookback].fill(f64::NAN);
}

/// Stochastic RSI (`TA_STOCHRSI`): STOCHF of the RSI used as high, low and close: `[fastk, fastd]`.
pub fn stochrsi(
    input: &[f64],
    period: usize,
    fastk_period: usize,
    fastd_period: usize,
    fastd_matype: MaType,
    outs: [&mut [f64]; 2],
) {
    let [k, d] = outs;
    let lookback_k = period + fastk_period - 1;
    let lookback = lookback_k + ma_lookback(fastd_period, fastd_matype);
    if too_short(k, lookback) {
        d.fill(f64::NAN);
        return;
    }
    // RSI goes into d, raw %K of it into k, the %K average into d (the RSI is no longer needed).
    rsi(input, period, d);
    let r = &d[period..];
    fast_k(r, r, r, fastk_period, &mut k[period..]);
    k[..period].fill(f64::NAN);
    d[..lookback_k].fill(f64::NAN);
    ma(
        &k[lookback_k..],
        fastd_period,
        fastd_matype,
        &mut d[lookback_k..],
    );
    k[..lookback].fill(f64::NAN);
}

/// Williams' %R (`TA_WILLR`): `(highest - close) / (highest - lowest) * -100`, clamped to [-100, 0].
///
/// As in TA-Lib 0.8.1 a range within 1e-14 of the extremes' magnitude counts as no range and gives 0.
pub fn willr(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    let lookback = period - 1;
    if too_short(out, lookback) {
        return;
    }
    let mut window = Extremes::new(false);
    for today in lookback..close.len() {
        window.update(high, low, today - lookback, today);
        let (h, l) = (window.highest, window.lowest);
        let range = h - l;
        out[today] = if (h.abs() + l.abs()) * 1e-14 >= range.abs() {
            0.0
        } else {
            ((h - close[today]) / range * -100.0).clamp(-100.0, 0.0)
        };
    }
}

/// Aroon (`TA_AROON`): `[aroondown, aroonup]`, 100 when the extreme is today, over `period + 1` bars.
pub fn aroon(high: &[f64], low: &[f64], period: usize, outs: [&mut [f64]; 2]) {
    let [down, up] = outs;
    if too_short(down, period) {
        up.fill(f64::NAN);
        return;
    }
    up[..period].fill(f64::NAN);
    let factor = 100.0 / period as f64;
    let mut window = Extremes::new(true);
    for today in period..high.len() {
        window.update(high, low, today - period, today);
        let since_high = today - window.highest_idx.unwrap_or(today);
        let since_low = today - window.lowest_idx.unwrap_or(today);
        up[today] = factor * (period as i64 - since_high as i64) as f64;
        down[today] = factor * (period as i64 - since_low as i64) as f64;
    }
}

/// Aroon oscillator (`TA_AROONOSC`): aroon up minus aroon down.
pub fn aroonosc(high: &[f64], low: &[f64], period: usize, out: &mut [f64]) {
    if too_short(out, period) {
        return;
    }
    let factor = 100.0 / period as f64;
    let mut window = Extremes::new(true);
    for today in period..high.len() {
        window.update(high, low, today - period, today);
        let h = window.highest_idx.unwrap_or(today) as i64;
        let l = window.lowest_idx.unwrap_or(today) as i64;
        out[today] = factor * (h - l) as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_k_is_where_the_close_sits_in_the_range() {
        let high = [10.0, 12.0, 11.0, 13.0];
        let low = [8.0, 9.0, 7.0, 10.0];
        let close = [9.0, 11.0, 8.0, 13.0];
        let (mut k, mut d) = ([0.0; 4], [0.0; 4]);
        stochf(&high, &low, &close, 3, 1, MaType::Sma, [&mut k, &mut d]);
        assert!(k[1].is_nan());
        assert_eq!(k[2], 20.0);
        assert_eq!(k[3], 100.0);
        assert_eq!(d[2..], k[2..]);
    }

    #[test]
    fn willr_is_zero_at_the_high_and_minus_100_at_the_low() {
        let high = [10.0, 12.0, 11.0];
        let low = [8.0, 9.0, 7.0];
        let mut out = [0.0; 3];
        willr(&high, &low, &[9.0, 12.0, 7.0], 2, &mut out);
        assert_eq!(&out[1..], &[-0.0, -100.0]);
    }

    #[test]
    fn aroon_counts_bars_since_the_extremes() {
        let high = [1.0, 3.0, 2.0, 2.5];
        let low = [0.5, 1.0, 0.2, 2.0];
        let (mut down, mut up) = ([0.0; 4], [0.0; 4]);
        aroon(&high, &low, 2, [&mut down, &mut up]);
        assert_eq!(&up[2..], &[50.0, 0.0]);
        assert_eq!(&down[2..], &[100.0, 50.0]);
        let mut osc = [0.0; 4];
        aroonosc(&high, &low, 2, &mut osc);
        assert_eq!(&osc[2..], &[-50.0, -50.0]);
    }

    #[test]
    fn short_inputs_are_all_warm_up() {
        for len in 0..12 {
            let x = vec![1.0; len];
            let (mut a, mut b) = (vec![0.0; len], vec![0.0; len]);
            stoch(
                &x,
                &x,
                &x,
                5,
                3,
                MaType::Sma,
                3,
                MaType::Sma,
                [&mut a, &mut b],
            );
            assert_eq!(
                a.iter().filter(|v| !v.is_nan()).count(),
                len.saturating_sub(8)
            );
            stochrsi(&x, 3, 3, 2, MaType::Sma, [&mut a, &mut b]);
            assert_eq!(
                b.iter().filter(|v| !v.is_nan()).count(),
                len.saturating_sub(6)
            );
        }
    }
}
