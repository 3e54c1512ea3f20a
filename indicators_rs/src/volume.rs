//! Volume indicators: OBV, AD (Chaikin accumulation/distribution) and ADOSC, as pure kernels on slices.
// Index loops mirror TA-Lib's C, which reads several arrays at the same and at earlier bars.
#![allow(clippy::needless_range_loop)]

use crate::dispatch::fma_kernel;

/// On-balance volume (`TA_OBV`): starts at the first bar's volume, then adds or subtracts each volume as
/// the close rises or falls.
pub fn obv(close: &[f64], volume: &[f64], out: &mut [f64]) {
    let Some((&first_close, rest)) = close.split_first() else {
        return;
    };
    let mut total = volume[0];
    let mut prev = first_close;
    out[0] = total;
    for (i, &c) in rest.iter().enumerate() {
        let i = i + 1;
        if c > prev {
            total += volume[i];
        } else if c < prev {
            total -= volume[i];
        }
        out[i] = total;
        prev = c;
    }
}

/// Money flow volume of one bar: the close location value times the volume; none when high equals low.
#[inline]
fn money_flow(high: f64, low: f64, close: f64, volume: f64) -> Option<f64> {
    let range = high - low;
    (range > 0.0).then(|| ((close - low) - (high - close)) / range * volume)
}

/// Chaikin accumulation/distribution line (`TA_AD`): the running sum of money flow volume.
pub fn ad(high: &[f64], low: &[f64], close: &[f64], volume: &[f64], out: &mut [f64]) {
    let mut total = 0.0;
    for i in 0..close.len() {
        if let Some(flow) = money_flow(high[i], low[i], close[i], volume[i]) {
            total += flow;
        }
        out[i] = total;
    }
}

fma_kernel! {
/// Chaikin oscillator (`TA_ADOSC`): fast EMA minus slow EMA of the AD line, both seeded with the first
/// AD value; lookback is the slower EMA's.
pub fn adosc(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    fast: usize,
    slow: usize,
    out: &mut [f64],
) {
    let lookback = fast.max(slow) - 1;
    if crate::overlap::too_short(out, lookback) {
        return;
    }
    let fast_k = 2.0 / (fast as f64 + 1.0);
    let slow_k = 2.0 / (slow as f64 + 1.0);
    let (fast_1k, slow_1k) = (1.0 - fast_k, 1.0 - slow_k);
    let mut ad = 0.0;
    let accumulate = |i: usize, ad: &mut f64| {
        let range = high[i] - low[i];
        if range > 0.0 {
            let clv = ((close[i] - low[i]) - (high[i] - close[i])) / range;
            *ad += clv * volume[i];
        }
    };
    accumulate(0, &mut ad);
    let mut fast_ema = ad;
    let mut slow_ema = ad;
    for i in 1..close.len() {
        accumulate(i, &mut ad);
        fast_ema = fast_ema.mul_add(fast_1k, fast_k * ad);
        slow_ema = slow_ema.mul_add(slow_1k, slow_k * ad);
        if i >= lookback {
            out[i] = fast_ema - slow_ema;
        }
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obv_adds_volume_on_up_closes_and_subtracts_on_down_closes() {
        let mut out = [0.0; 4];
        obv(&[1.0, 2.0, 2.0, 1.0], &[10.0, 20.0, 30.0, 5.0], &mut out);
        assert_eq!(out, [10.0, 30.0, 30.0, 25.0]);
        let mut empty: [f64; 0] = [];
        obv(&[], &[], &mut empty);
    }

    #[test]
    fn ad_accumulates_close_location_times_volume() {
        let mut out = [0.0; 3];
        ad(
            &[2.0, 2.0, 3.0],
            &[0.0, 2.0, 1.0],
            &[2.0, 2.0, 1.0],
            &[10.0, 10.0, 4.0],
            &mut out,
        );
        assert_eq!(out, [10.0, 10.0, 6.0]);
    }

    #[test]
    fn adosc_of_a_flat_ad_line_is_zero() {
        let x = [1.0; 12];
        let mut out = [0.0; 12];
        adosc(&x, &x, &x, &x, 3, 10, &mut out);
        assert!(out[..9].iter().all(|v| v.is_nan()));
        assert!(out[9..].iter().all(|&v| v == 0.0));
    }
}
