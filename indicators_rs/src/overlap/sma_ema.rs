//! SMA and EMA, written as [`Recurrence`]s so that one long series runs on two cores (see `recurrence`).

use std::ops::Range;

use crate::recurrence::{self, settle_bars, Recurrence, Seen};

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
    fn ema_is_seeded_with_the_sma_of_the_first_period() {
        let mut out = [0.0; 4];
        ema(&[1.0, 2.0, 3.0, 5.0], 3, &mut out);
        assert!(out[1].is_nan());
        assert_eq!(out[2], 2.0);
        assert_eq!(out[3], 3.5);
    }
}
