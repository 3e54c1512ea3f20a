//! Overlap studies: the moving averages (and TA-Lib's `TA_MA` dispatch), as pure kernels on slices.
//!
//! Each kernel writes `out[i]` for every bar: `f64::NAN` before its lookback, the TA-Lib value from it on.
//! The expression layer turns those warm-up rows into nulls. Where TA-Lib 0.8.1 is compiled with fused
//! multiply-add (EMA, DEMA, TEMA, KAMA, BBANDS) the same operations use `f64::mul_add`.
// Index loops mirror TA-Lib's C, which reads several arrays at the same and at earlier bars.
#![allow(clippy::needless_range_loop)]

use std::ops::Range;

use crate::dispatch::fma_kernel;
use crate::recurrence::{self, settle_bars, Recurrence, Seen};

/// TA-Lib's moving-average types (`matype`), in TA-Lib's numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaType {
    Sma = 0,
    Ema = 1,
    Wma = 2,
    Dema = 3,
    Tema = 4,
    Trima = 5,
    Kama = 6,
}

impl MaType {
    /// The moving average for a TA-Lib `matype` number; MAMA (7) and T3 (8) are not provided.
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => Self::Sma,
            1 => Self::Ema,
            2 => Self::Wma,
            3 => Self::Dema,
            4 => Self::Tema,
            5 => Self::Trima,
            6 => Self::Kama,
            _ => return None,
        })
    }
}

/// Writes NaN everywhere and reports whether `len` bars are too few for one output after `lookback`.
#[inline]
pub(crate) fn too_short(out: &mut [f64], lookback: usize) -> bool {
    if out.len() <= lookback {
        out.fill(f64::NAN);
        return true;
    }
    out[..lookback].fill(f64::NAN);
    false
}

/// Number of leading bars without output for a simple moving average of `period`.
pub fn sma_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Simple moving average, bit-for-bit equal to TA-Lib 0.8.1 `TA_SMA`.
///
/// TA-Lib keeps a running total: it sums the first `period - 1` bars, then for each output adds the newest
/// bar, divides, and subtracts the oldest. The same order of additions gives the same rounding.
pub fn sma(input: &[f64], period: usize, out: &mut [f64]) {
    recurrence::run(&Sma { period }, [input], [out]);
}

/// SMA as a [`Recurrence`] whose state is TA-Lib's running total. The total never forgets its rounding, so
/// a series is never split over threads; the form still gets the walk's missing-bar and NaN findings,
/// read off the total (see `step_rows`).
pub struct Sma {
    pub period: usize,
}

impl Recurrence<1, 1, 1> for Sma {
    fn lookback(&self) -> usize {
        sma_lookback(self.period)
    }

    fn settle(&self) -> usize {
        usize::MAX
    }

    fn seed(&self, [input]: [&[f64]; 1], [out]: [&mut [f64]; 1]) -> [f64; 1] {
        let lookback = self.lookback();
        out[..lookback].fill(f64::NAN);
        let mut total = 0.0;
        for &x in &input[..lookback] {
            total += x;
        }
        let mut state = [total];
        out[lookback] = self.step(&mut state, [input], lookback)[0];
        state
    }

    fn guess(&self, _: [&[f64]; 1], _: usize) -> [f64; 1] {
        [0.0]
    }

    #[inline(always)]
    fn step(&self, [total]: &mut [f64; 1], [input]: [&[f64]; 1], i: usize) -> [f64; 1] {
        *total += input[i];
        let current = *total;
        *total -= input[i - self.lookback()];
        [current / self.period as f64]
    }

    #[inline(always)]
    fn step_rows(
        &self,
        [total]: &mut [f64; 1],
        [input]: [&[f64]; 1],
        [out]: &mut [&mut [f64]; 1],
        rows: Range<usize>,
        offset: usize,
    ) -> Option<Seen> {
        let lookback = self.lookback();
        let period = self.period as f64;
        let newest = &input[rows.clone()];
        let oldest = &input[rows.start - lookback..rows.end - lookback];
        let out = &mut out[rows.start - offset..rows.end - offset];
        let mut running = *total;
        for ((o, &new), &old) in out.iter_mut().zip(newest).zip(oldest) {
            running += new;
            let current = running;
            running -= old;
            *o = current / period;
        }
        *total = running;
        // The rows need no checks of their own: a total that is not finite stays so (infinity plus or minus
        // a finite value is infinity, infinity minus infinity is NaN, and NaN is NaN), so a missing bar
        // among `rows` leaves it not finite. With every input finite (the seed's rows are checked by the
        // walk), an output is NaN only if the total is NaN: the period is at least 1, so a finite or
        // infinite total divides to a number. Should the total merely overflow, the caller's slower path
        // finds no missing bar and computes the same values.
        Some(Seen {
            missing: !running.is_finite(),
            nan: running.is_nan(),
        })
    }
}

/// Exponential moving average (`TA_EMA`): seeded with the SMA of the first `period` bars.
pub fn ema(input: &[f64], period: usize, out: &mut [f64]) {
    if period == 1 {
        out.copy_from_slice(input);
        return;
    }
    recurrence::run(&Ema::new(period), [input], [out]);
}

/// EMA as a [`Recurrence`] (the state is the average).
pub struct Ema {
    period: usize,
    k: f64,
}

impl Ema {
    /// TA-Lib's EMA of `period` bars (2 or more; a one-bar EMA is the input).
    pub fn new(period: usize) -> Self {
        debug_assert!(period >= 2, "a one-bar EMA is the input");
        Self {
            period,
            k: 2.0 / (period as f64 + 1.0),
        }
    }
}

impl Recurrence<1, 1, 1> for Ema {
    fn lookback(&self) -> usize {
        self.period - 1
    }

    fn settle(&self) -> usize {
        settle_bars(1.0 - self.k)
    }

    fn seed(&self, [input]: [&[f64]; 1], [out]: [&mut [f64]; 1]) -> [f64; 1] {
        let lookback = self.period - 1;
        out[..lookback].fill(f64::NAN);
        let mut total = 0.0;
        for &x in &input[..self.period] {
            total += x;
        }
        let prev = total / self.period as f64;
        out[lookback] = prev;
        [prev]
    }

    fn guess(&self, [input]: [&[f64]; 1], at: usize) -> [f64; 1] {
        [input[at - 1]]
    }

    #[inline(always)]
    fn step(&self, [prev]: &mut [f64; 1], [input]: [&[f64]; 1], i: usize) -> [f64; 1] {
        *prev = (input[i] - *prev).mul_add(self.k, *prev);
        [*prev]
    }
}

/// Weighted moving average (`TA_WMA`): weights 1..=period, newest heaviest, with running sums.
pub fn wma(input: &[f64], period: usize, out: &mut [f64]) {
    if period == 1 {
        out.copy_from_slice(input);
        return;
    }
    let lookback = period - 1;
    if too_short(out, lookback) {
        return;
    }
    let divider = ((period * (period + 1)) >> 1) as f64;
    let weight = period as f64;
    let mut period_sum = 0.0;
    let mut period_sub = 0.0;
    for (i, &x) in input[..lookback].iter().enumerate() {
        period_sub += x;
        period_sum += x * (i + 1) as f64;
    }
    // TA-Lib 0.8.1 recomputes both sums from scratch every `8 * period` outputs to stop drift.
    let resync_every = 8 * period;
    let mut countdown = resync_every;
    let mut trailing_value = 0.0;
    for i in lookback..input.len() {
        countdown -= 1;
        if countdown == 0 {
            countdown = resync_every;
            let start = i + 1 - period;
            let (mut sub, mut sum) = (0.0, 0.0);
            for (w, &x) in input[start..=i].iter().enumerate() {
                sub += x;
                sum += (w + 1) as f64 * x;
            }
            out[i] = sum / divider;
            period_sub = sub;
            period_sum = sum - sub;
            trailing_value = input[start];
            continue;
        }
        let x = input[i];
        period_sub += x;
        period_sub -= trailing_value;
        period_sum += x * weight;
        trailing_value = input[i - lookback];
        out[i] = period_sum / divider;
        period_sum -= period_sub;
    }
}

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

/// Triangular moving average (`TA_TRIMA`), with TA-Lib's running numerator for odd and even periods.
pub fn trima(input: &[f64], period: usize, out: &mut [f64]) {
    let lookback = period - 1;
    if too_short(out, lookback) {
        return;
    }
    let half = period >> 1;
    let odd = period % 2 == 1;
    let factor = if odd {
        1.0 / ((half + 1) * (half + 1)) as f64
    } else {
        1.0 / (half * (half + 1)) as f64
    };
    let mut trailing = 0usize;
    let mut middle = if odd { half } else { half - 1 };
    let mut today = middle + half;
    let mut numerator = 0.0;
    let mut numerator_sub = 0.0;
    for i in (trailing..=middle).rev() {
        numerator_sub += input[i];
        numerator += numerator_sub;
    }
    let mut numerator_add = 0.0;
    middle += 1;
    for &x in &input[middle..=today] {
        numerator_add += x;
        numerator += numerator_add;
    }
    let mut temp = input[trailing];
    trailing += 1;
    out[lookback] = numerator * factor;
    today += 1;
    while today < input.len() {
        numerator -= numerator_sub;
        numerator_sub -= temp;
        temp = input[middle];
        middle += 1;
        numerator_sub += temp;
        if odd {
            numerator += numerator_add;
            numerator_add -= temp;
        } else {
            numerator_add -= temp;
            numerator += numerator_add;
        }
        temp = input[today];
        numerator_add += temp;
        numerator += temp;
        out[today] = numerator * factor;
        today += 1;
        temp = input[trailing];
        trailing += 1;
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

/// TA-Lib's `TA_IS_ZERO`: strictly within ±1e-14.
#[inline]
pub(crate) fn is_zero(v: f64) -> bool {
    -0.00000000000001 < v && v < 0.00000000000001
}

/// Leading bars without output of `ma` for `period` and `matype`.
pub fn ma_lookback(period: usize, matype: MaType) -> usize {
    if period <= 1 {
        return 0;
    }
    match matype {
        MaType::Sma | MaType::Ema | MaType::Wma | MaType::Trima => period - 1,
        MaType::Dema => 2 * (period - 1),
        MaType::Tema => 3 * (period - 1),
        MaType::Kama => period,
    }
}

/// `TA_MA`: the moving average of `matype`; a period of 1 copies the input as TA-Lib does.
pub fn ma(input: &[f64], period: usize, matype: MaType, out: &mut [f64]) {
    if period <= 1 {
        out.copy_from_slice(input);
        return;
    }
    match matype {
        MaType::Sma => sma(input, period, out),
        MaType::Ema => ema(input, period, out),
        MaType::Wma => wma(input, period, out),
        MaType::Dema => dema(input, period, out),
        MaType::Tema => tema(input, period, out),
        MaType::Trima => trima(input, period, out),
        MaType::Kama => kama(input, period, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sma_matches_hand_computed_values() {
        let input = [1.0, 2.0, 3.0, 4.0, 5.0];
        let mut out = [0.0; 5];
        sma(&input, 3, &mut out);
        assert!(out[0].is_nan() && out[1].is_nan());
        assert_eq!(&out[2..], &[2.0, 3.0, 4.0]);
    }

    #[test]
    fn sma_of_period_one_is_the_input() {
        let input = [1.5, -2.0, 3.25];
        let mut out = [0.0; 3];
        sma(&input, 1, &mut out);
        assert_eq!(out, input);
    }

    #[test]
    fn sma_keeps_talibs_running_total_rounding() {
        // Expected values are TA-Lib 0.8.1's own output; a fresh sum per window would give 2.0, 1.55,
        // 0.15000000000000002 and 0.25 for the last four.
        let input = [1e16, 1.0, -1e16, 1.0, 3.0, 0.1, 0.2, 0.3];
        let mut out = [0.0; 8];
        sma(&input, 2, &mut out);
        assert!(out[0].is_nan());
        let expected: [f64; 7] = [5e15, -5e15, -5e15, 1.5, 1.05, -0.35, -0.24999999999999997];
        for (got, want) in out[1..].iter().zip(expected) {
            assert_eq!(got.to_bits(), want.to_bits(), "{got} != {want}");
        }
    }

    #[test]
    fn sma_steps_a_block_of_rows_exactly_as_row_by_row() {
        let input: Vec<f64> = (0..1000)
            .map(|k| ((k * 7919) % 101) as f64 * 0.1 - 3.0)
            .collect();
        recurrence::assert_step_rows_is_step(&Sma { period: 9 }, [&input], 8..1000, [1.5]);
    }

    #[test]
    fn sma_reports_a_missing_bar_anywhere_through_its_total() {
        use crate::segments::CheckedRun;
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            // Early, in the middle of a block, at a block's last row and at the very end.
            for at in [12, 700, 1023, 1999] {
                let mut input: Vec<f64> = (0..2000).map(|k| (k % 17) as f64).collect();
                input[at] = bad;
                let mut out = vec![0.0; input.len()];
                let seen = recurrence::run_checked(&Sma { period: 5 }, [&input], [&mut out]);
                assert_eq!(seen, CheckedRun::MissingBar, "{bad} at {at}");
            }
        }
    }

    #[test]
    fn sma_that_overflows_keeps_talibs_values_and_asks_for_the_careful_path() {
        use crate::segments::CheckedRun;
        let input = [1e308, 1e308, 1e308, 1.0, 2.0, 3.0];
        let mut out = [0.0; 6];
        let seen = recurrence::run_checked(&Sma { period: 2 }, [&input], [&mut out]);
        // The total reaches infinity and stays there, as in TA-Lib; nothing is NaN, yet the walk cannot
        // tell an overflow from a missing bar, so it says "missing" and the caller recomputes.
        assert_eq!(seen, CheckedRun::MissingBar);
        assert_eq!(out[1..], [f64::INFINITY; 5]);
        let clean: Vec<f64> = (0..3000).map(|k| (k % 13) as f64 - 6.0).collect();
        let mut out = vec![0.0; clean.len()];
        let seen = recurrence::run_checked(&Sma { period: 7 }, [&clean], [&mut out]);
        assert!(matches!(seen, CheckedRun::Done(Some(_))));
    }

    #[test]
    fn sma_of_empty_input_writes_nothing() {
        let mut out: [f64; 0] = [];
        sma(&[], 5, &mut out);
    }

    #[test]
    fn sma_shorter_than_period_is_all_warm_up() {
        let mut out = [0.0; 2];
        sma(&[1.0, 2.0], 3, &mut out);
        assert!(out.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn every_moving_average_of_a_constant_is_that_constant() {
        let input = [4.0; 40];
        for matype in 0..=6 {
            let matype = MaType::from_code(matype).unwrap();
            let mut out = [0.0; 40];
            ma(&input, 5, matype, &mut out);
            let lookback = ma_lookback(5, matype);
            assert!(out[..lookback].iter().all(|v| v.is_nan()), "{matype:?}");
            assert!(
                out[lookback..].iter().all(|&v| v == 4.0),
                "{matype:?}: {out:?}"
            );
        }
    }

    #[test]
    fn ema_is_seeded_with_the_sma_of_the_first_period() {
        let mut out = [0.0; 4];
        ema(&[1.0, 2.0, 3.0, 5.0], 3, &mut out);
        assert!(out[1].is_nan());
        assert_eq!(out[2], 2.0);
        assert_eq!(out[3], 3.5);
    }

    #[test]
    fn wma_and_trima_match_hand_computed_values() {
        let input = [1.0, 2.0, 3.0, 4.0, 5.0];
        let mut out = [0.0; 5];
        wma(&input, 3, &mut out);
        assert_eq!(&out[2..], &[14.0 / 6.0, 20.0 / 6.0, 26.0 / 6.0]);
        trima(&input, 4, &mut out);
        assert_eq!(
            &out[3..],
            &[(1.0 + 4.0 + 6.0 + 4.0) / 6.0, (2.0 + 6.0 + 8.0 + 5.0) / 6.0]
        );
    }

    #[test]
    fn short_inputs_are_all_warm_up_for_every_average() {
        for matype in 0..=6 {
            let matype = MaType::from_code(matype).unwrap();
            for len in 0..8 {
                let input = vec![1.0; len];
                let mut out = vec![0.0; len];
                ma(&input, 4, matype, &mut out);
                let lookback = ma_lookback(4, matype);
                assert_eq!(
                    out.iter().filter(|v| !v.is_nan()).count(),
                    len.saturating_sub(lookback)
                );
            }
        }
    }
}
