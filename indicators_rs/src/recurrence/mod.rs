//! Kernels whose steady state is a contracting recurrence (EMA and Wilder smoothing), and how one long
//! series of them runs on two cores with the exact result.
//!
//! Such a kernel forgets its past geometrically: two walks over the same bars from different states draw
//! together by a constant factor per bar until, in floating point, they hold the very same bits, and from
//! then on they are the same computation. So the second half of a series starts from a guessed state
//! [`Recurrence::settle`] bars early, while the first thread computes the first half exactly; the first
//! thread then walks on from the split, comparing its exact state with the second thread's state at the
//! same bar, until the two are equal bit for bit. Every output before that bar is rewritten from the exact
//! walk and every output after it already is exact. Should the states never meet (a series that never
//! forgets, such as a long flat stretch), the first thread simply finishes the series alone: the result
//! is always what the sequential kernel gives, only the time varies.
//!
//! `walk` steps rows with the missing-bar checks on the fastest code the CPU runs; `split` runs one long
//! series on two threads.

use std::ops::Range;

use crate::segments::{all_valid, CheckedRun};

mod split;
#[cfg(test)]
mod tests;
mod walk;

pub use split::run_split;
use walk::steps;

/// A kernel with `I` inputs, `O` outputs and an `S`-value state, written as a seed and a step.
pub trait Recurrence<const I: usize, const O: usize, const S: usize>: Sync {
    /// Rows of warm-up: `seed` writes the outputs of rows `0..=lookback()`, `step` each later row.
    fn lookback(&self) -> usize;

    /// Bars a guessed state takes to become the exact one, usually (a margin over the contraction).
    fn settle(&self) -> usize;

    /// Seeds from the first bars, writes outputs `0..=lookback()` (NaN for the warm-up) and returns the
    /// state after row `lookback()`. Only called with more than `lookback()` rows.
    fn seed(&self, ins: [&[f64]; I], outs: [&mut [f64]; O]) -> [f64; S];

    /// Some state before row `at` (`at > lookback()`); any state converges, a plausible one sooner.
    fn guess(&self, ins: [&[f64]; I], at: usize) -> [f64; S];

    /// Row `i`: updates the state and returns the row's outputs.
    fn step(&self, state: &mut [f64; S], ins: [&[f64]; I], i: usize) -> [f64; O];

    /// Steps every row in `rows`, writing its outputs at `row - offset`; returns `None` for the caller to
    /// scan the rows' inputs and outputs, or what the kernel knows of them without a scan.
    ///
    /// A kernel whose step is a handful of instructions (SMA's running total, ATR) overrides it with a loop
    /// over zipped slices, free of bounds checks; it must compute exactly what `step` does. A `Some(seen)`
    /// must set `missing` if any input of `rows` is not finite and `missing` or `nan` if any output is
    /// NaN; it may say `missing` when nothing is (the caller then recomputes run by run, with the same
    /// result), and it may rely on the rows before `rows` having been checked already.
    #[inline(always)]
    fn step_rows(
        &self,
        state: &mut [f64; S],
        ins: [&[f64]; I],
        outs: &mut [&mut [f64]; O],
        rows: Range<usize>,
        offset: usize,
    ) -> Option<Seen> {
        for i in rows {
            let values = self.step(state, ins, i);
            for (out, value) in outs.iter_mut().zip(values) {
                out[i - offset] = value;
            }
        }
        None
    }
}

/// Bars a state that contracts by `decay` per bar (0 < decay < 1) needs to forget a difference as large as
/// itself down to below one unit in the last place, with a margin for the bars rounding keeps two walks one
/// unit apart. `usize::MAX` when it never forgets.
pub fn settle_bars(decay: f64) -> usize {
    let bars = 1.25 * (54.0 * std::f64::consts::LN_2) / -decay.ln() + 64.0;
    if bars.is_finite() && bars > 0.0 {
        bars as usize
    } else {
        usize::MAX
    }
}

/// What a walk noticed on the way: an input that is not finite (a missing bar), an output that is NaN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    pub missing: bool,
    pub nan: bool,
}

impl Seen {
    fn and(self, other: Seen) -> Seen {
        Seen {
            missing: self.missing | other.missing,
            nan: self.nan | other.nan,
        }
    }
}

/// Seeds on rows `0..=lookback()`, noting what the seed rows hold.
fn seeded<R, const I: usize, const O: usize, const S: usize>(
    r: &R,
    ins: [&[f64]; I],
    outs: &mut [&mut [f64]; O],
) -> ([f64; S], Seen)
where
    R: Recurrence<I, O, S>,
{
    let lookback = r.lookback();
    let missing = !all_valid(&ins, 0, lookback + 1);
    let state = r.seed(ins, outs.each_mut().map(|o| &mut **o));
    let nan = outs.iter().any(|out| out[lookback].is_nan());
    (state, Seen { missing, nan })
}

/// The outcome of a walk over `n` rows with `lookback` warm-up rows that noticed `seen`: without a NaN
/// output past the warm-up, each output's NaN rows are just the warm-up.
fn outcome<const O: usize>(seen: Seen, lookback: usize, n: usize) -> CheckedRun<O> {
    if seen.missing {
        CheckedRun::MissingBar
    } else if seen.nan {
        CheckedRun::Done(None)
    } else {
        let warm_up = lookback.min(n);
        let runs = if warm_up == 0 {
            vec![]
        } else {
            std::iter::once(0..warm_up).collect()
        };
        CheckedRun::Done(Some(std::array::from_fn(|_| runs.clone())))
    }
}

/// Runs the kernel over one long series on the calling thread, checking for missing bars on the way (no
/// separate pass over the inputs or outputs).
pub fn run_checked<R, const I: usize, const O: usize, const S: usize>(
    r: &R,
    ins: [&[f64]; I],
    mut outs: [&mut [f64]; O],
) -> CheckedRun<O>
where
    R: Recurrence<I, O, S>,
{
    let n = ins.first().map_or(0, |c| c.len());
    if n <= r.lookback() {
        for out in outs.iter_mut() {
            out.fill(f64::NAN);
        }
        let seen = Seen {
            missing: !all_valid(&ins, 0, n),
            nan: true,
        };
        return outcome(seen, r.lookback(), n);
    }
    let (mut state, seed) = seeded(r, ins, &mut outs);
    let seen = steps(r, &mut state, ins, &mut outs, (r.lookback() + 1, n), 0);
    outcome(seed.and(seen), r.lookback(), n)
}

/// Runs the kernel over one run of valid bars on the calling thread (its checks' findings unused).
pub fn run<R, const I: usize, const O: usize, const S: usize>(
    r: &R,
    ins: [&[f64]; I],
    outs: [&mut [f64]; O],
) where
    R: Recurrence<I, O, S>,
{
    run_checked(r, ins, outs);
}

/// Whether a series of `n` rows is long enough to be worth splitting over two threads.
pub fn worth_splitting<R, const I: usize, const O: usize, const S: usize>(r: &R, n: usize) -> bool
where
    R: Recurrence<I, O, S>,
{
    n >= crate::segments::MIN_ROWS_PER_THREAD.max(r.settle().saturating_mul(16))
        && n > 4 * (r.lookback() + 1)
}

/// Asserts that `r.step_rows` over `rows` computes what `r.step` does row by row, from the same `state`,
/// bit for bit (the outputs and the final state); for kernels that override `step_rows`.
#[cfg(test)]
pub(crate) fn assert_step_rows_is_step<R, const I: usize, const O: usize, const S: usize>(
    r: &R,
    ins: [&[f64]; I],
    rows: Range<usize>,
    state: [f64; S],
) where
    R: Recurrence<I, O, S>,
{
    let n = ins[0].len();
    let mut by_rows: [Vec<f64>; O] = std::array::from_fn(|_| vec![0.0; n]);
    let mut by_step: [Vec<f64>; O] = std::array::from_fn(|_| vec![0.0; n]);
    let (mut rows_state, mut step_state) = (state, state);
    let mut outs = by_rows.each_mut().map(|o| &mut o[..]);
    r.step_rows(&mut rows_state, ins, &mut outs, rows.clone(), 0);
    for i in rows {
        for (out, value) in by_step.iter_mut().zip(r.step(&mut step_state, ins, i)) {
            out[i] = value;
        }
    }
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&rows_state), bits(&step_state));
    for (a, b) in by_rows.iter().zip(&by_step) {
        assert_eq!(bits(a), bits(b));
    }
}
