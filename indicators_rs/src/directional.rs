//! Wilder's directional movement system: PLUS_DI, MINUS_DI and ADX, as pure kernels on slices.
// Index loops mirror TA-Lib's C, which reads several arrays at the same and at earlier bars.
#![allow(clippy::needless_range_loop)]

use crate::overlap::{is_zero, too_short};
use crate::recurrence::{self, settle_bars, Recurrence};
use crate::volatility::true_range;

/// Today's +DM and -DM from the change of high and low (only the larger move counts, ties count nothing).
#[inline]
fn directional_moves(diff_p: f64, diff_m: f64) -> (f64, f64) {
    if diff_m > 0.0 && diff_p < diff_m {
        (0.0, diff_m)
    } else if diff_p > 0.0 && diff_p > diff_m {
        (diff_p, 0.0)
    } else {
        (0.0, 0.0)
    }
}

/// Which directional indicator a DI kernel computes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Plus,
    Minus,
}

/// +DI or -DI (`TA_PLUS_DI` / `TA_MINUS_DI`): smoothed DM over smoothed true range, times 100.
pub fn directional_indicator(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    direction: Direction,
    out: &mut [f64],
) {
    let pick = |diff_p: f64, diff_m: f64| {
        let (plus, minus) = directional_moves(diff_p, diff_m);
        if direction == Direction::Plus {
            (plus, plus != 0.0)
        } else {
            (minus, minus != 0.0)
        }
    };
    if period <= 1 {
        if too_short(out, 1) {
            return;
        }
        for today in 1..close.len() {
            let diff_p = high[today] - high[today - 1];
            let diff_m = low[today - 1] - low[today];
            let (dm, moved) = pick(diff_p, diff_m);
            out[today] = if moved {
                let tr = true_range(high[today], low[today], close[today - 1]);
                if tr > 0.0 {
                    dm / tr
                } else {
                    0.0
                }
            } else {
                0.0
            };
        }
        return;
    }
    if too_short(out, period) {
        return;
    }
    let p = period as f64;
    let mut prev_dm = 0.0;
    let mut prev_tr = 0.0;
    for today in 1..period {
        let (dm, moved) = pick(high[today] - high[today - 1], low[today - 1] - low[today]);
        if moved {
            prev_dm += dm;
        }
        prev_tr += true_range(high[today], low[today], close[today - 1]);
    }
    for today in period..close.len() {
        let (dm, moved) = pick(high[today] - high[today - 1], low[today - 1] - low[today]);
        prev_dm = if moved {
            prev_dm - prev_dm / p + dm
        } else {
            prev_dm - prev_dm / p
        };
        prev_tr = prev_tr - prev_tr / p + true_range(high[today], low[today], close[today - 1]);
        out[today] = if prev_tr > 0.0 {
            100.0 * (prev_dm / prev_tr)
        } else {
            0.0
        };
    }
}

/// Plus directional indicator (`TA_PLUS_DI`).
pub fn plus_di(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    directional_indicator(high, low, close, period, Direction::Plus, out);
}

/// Minus directional indicator (`TA_MINUS_DI`).
pub fn minus_di(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    directional_indicator(high, low, close, period, Direction::Minus, out);
}

/// Wilder's running +DM, -DM and true range after bar `today` (summed while `smooth` is false).
#[inline(always)]
fn dm_tr_step(
    (plus_dm, minus_dm, tr): (f64, f64, f64),
    bars: (&[f64], &[f64], &[f64]),
    today: usize,
    p: f64,
    smooth: bool,
) -> (f64, f64, f64) {
    let (high, low, close) = bars;
    let diff_p = high[today] - high[today - 1];
    let diff_m = low[today - 1] - low[today];
    let (mut plus_dm, mut minus_dm) = if smooth {
        (plus_dm - plus_dm / p, minus_dm - minus_dm / p)
    } else {
        (plus_dm, minus_dm)
    };
    if diff_m > 0.0 && diff_p < diff_m {
        minus_dm += diff_m;
    } else if diff_p > 0.0 && diff_p > diff_m {
        plus_dm += diff_p;
    }
    let range = true_range(high[today], low[today], close[today - 1]);
    let tr = if smooth {
        tr - tr / p + range
    } else {
        tr + range
    };
    (plus_dm, minus_dm, tr)
}

/// Today's DX from the smoothed moves and range; none when TA-Lib skips the bar.
#[inline(always)]
fn dx((plus_dm, minus_dm, tr): (f64, f64, f64)) -> Option<f64> {
    // TA-Lib 0.8.1 needs a positive true range here (not merely one above 1e-14).
    let tr_is_positive = tr > 0.0;
    if !tr_is_positive {
        return None;
    }
    let minus_di = 100.0 * (minus_dm / tr);
    let plus_di = 100.0 * (plus_dm / tr);
    let sum = minus_di + plus_di;
    if is_zero(sum) {
        None
    } else {
        Some(100.0 * ((minus_di - plus_di).abs() / sum))
    }
}

/// Average directional index (`TA_ADX`): Wilder average of DX; lookback `2 * period - 1`.
pub fn adx(high: &[f64], low: &[f64], close: &[f64], period: usize, out: &mut [f64]) {
    recurrence::run(&Adx::new(period), [high, low, close], [out]);
}

/// ADX as a [`Recurrence`]: the state is Wilder's running +DM, -DM and true range, and the ADX.
pub struct Adx {
    period: usize,
    p: f64,
    p1: f64,
}

impl Adx {
    pub fn new(period: usize) -> Self {
        Self {
            period,
            p: period as f64,
            p1: (period - 1) as f64,
        }
    }
}

impl Recurrence<3, 1, 4> for Adx {
    fn lookback(&self) -> usize {
        2 * self.period - 1
    }

    fn settle(&self) -> usize {
        settle_bars(self.p1 / self.p)
    }

    fn seed(&self, [high, low, close]: [&[f64]; 3], [out]: [&mut [f64]; 1]) -> [f64; 4] {
        let (period, p) = (self.period, self.p);
        let lookback = self.lookback();
        out[..lookback].fill(f64::NAN);
        let bars = (high, low, close);
        let mut state = (0.0, 0.0, 0.0);
        for today in 1..period {
            state = dm_tr_step(state, bars, today, p, false);
        }
        let mut sum_dx = 0.0;
        for today in period..2 * period {
            state = dm_tr_step(state, bars, today, p, true);
            if let Some(v) = dx(state) {
                sum_dx += v;
            }
        }
        let prev_adx = sum_dx / p;
        out[lookback] = prev_adx;
        [state.0, state.1, state.2, prev_adx]
    }

    fn guess(&self, [high, low, _]: [&[f64]; 3], at: usize) -> [f64; 4] {
        [0.0, 0.0, (high[at - 1] - low[at - 1]) * self.p, 0.0]
    }

    #[inline(always)]
    fn step(&self, state: &mut [f64; 4], [high, low, close]: [&[f64]; 3], i: usize) -> [f64; 1] {
        let [plus_dm, minus_dm, tr, prev_adx] = *state;
        let moved = dm_tr_step((plus_dm, minus_dm, tr), (high, low, close), i, self.p, true);
        let adx = match dx(moved) {
            Some(v) => (prev_adx * self.p1 + v) / self.p,
            None => prev_adx,
        };
        *state = [moved.0, moved.1, moved.2, adx];
        [adx]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_rise_is_all_plus_di_and_full_adx() {
        let high: Vec<f64> = (0..30).map(|i| 10.0 + f64::from(i)).collect();
        let low: Vec<f64> = high.iter().map(|h| h - 1.0).collect();
        let close = high.clone();
        let mut plus = [0.0; 30];
        let mut minus = [0.0; 30];
        let mut strength = [0.0; 30];
        directional_indicator(&high, &low, &close, 5, Direction::Plus, &mut plus);
        directional_indicator(&high, &low, &close, 5, Direction::Minus, &mut minus);
        adx(&high, &low, &close, 5, &mut strength);
        assert!(plus[..5].iter().all(|v| v.is_nan()));
        assert!(plus[5..].iter().all(|&v| v > 0.0));
        assert!(minus[5..].iter().all(|&v| v == 0.0));
        assert!(strength[..9].iter().all(|v| v.is_nan()));
        assert!(strength[9..].iter().all(|&v| (v - 100.0).abs() < 1e-9));
    }

    #[test]
    fn short_inputs_are_all_warm_up() {
        for len in 0..10 {
            let x = vec![1.0; len];
            let mut out = vec![0.0; len];
            adx(&x, &x, &x, 3, &mut out);
            assert_eq!(
                out.iter().filter(|v| !v.is_nan()).count(),
                len.saturating_sub(5)
            );
            directional_indicator(&x, &x, &x, 1, Direction::Minus, &mut out);
            assert_eq!(
                out.iter().filter(|v| !v.is_nan()).count(),
                len.saturating_sub(1)
            );
        }
    }
}
