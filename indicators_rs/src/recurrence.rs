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

use std::ops::Range;
use std::thread;

use crate::segments::{all_valid, find_first, CheckedRun};

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

/// Whether two states hold the same bits (so 0.0 and -0.0 differ, and a NaN equals itself).
fn same<const S: usize>(a: &[f64; S], b: &[f64; S]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
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

/// Steps rows `from..to`, writing the outputs at `row - offset`, and notes whether any input of those rows
/// is not finite and any output NaN.
#[inline(always)]
fn walk<R, const I: usize, const O: usize, const S: usize>(
    r: &R,
    state: &mut [f64; S],
    ins: [&[f64]; I],
    outs: &mut [&mut [f64]; O],
    from: usize,
    to: usize,
    offset: usize,
) -> Seen
where
    R: Recurrence<I, O, S>,
{
    for out in outs.iter() {
        assert!(to - offset <= out.len());
    }
    for column in ins {
        assert!(to <= column.len());
    }
    let (mut missing, mut nan) = (false, false);
    // The state lives in registers for the walk; written back through `state` every row, it would cost a
    // store per row (the compiler cannot tell it from the outputs).
    let mut current = *state;
    // Unless the kernel checks rows as it steps them, the checks are vectorised scans, block by block, of
    // rows still in L1: riding along in a generic step loop they would add several instructions per row.
    let mut block = from;
    while block < to {
        let end = (block + BLOCK).min(to);
        if let Some(seen) = r.step_rows(&mut current, ins, outs, block..end, offset) {
            missing |= seen.missing;
            nan |= seen.nan;
        } else {
            for column in ins {
                missing |= find_first(&column[block..end], |v| !v.is_finite()).is_some();
            }
            for out in outs.iter() {
                nan |= find_first(&out[block - offset..end - offset], f64::is_nan).is_some();
            }
        }
        block = end;
    }
    *state = current;
    Seen { missing, nan }
}

/// Rows per block of a walk.
const BLOCK: usize = 512;

/// Defines `$name`: [`walk`] compiled with the target features `$features`.
macro_rules! walk_with {
    ($(#[$doc:meta])* $name:ident, $features:literal) => {
        $(#[$doc])*
        ///
        /// # Safety
        #[doc = concat!("The CPU must support the target features `", $features, "`.")]
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        unsafe fn $name<R, const I: usize, const O: usize, const S: usize>(
            r: &R,
            state: &mut [f64; S],
            ins: [&[f64]; I],
            outs: &mut [&mut [f64]; O],
            from: usize,
            to: usize,
            offset: usize,
        ) -> Seen
        where
            R: Recurrence<I, O, S>,
        {
            walk(r, state, ins, outs, from, to, offset)
        }
    };
}

walk_with!(
    /// The walk with fused multiply-add, so `f64::mul_add` in `step` is one instruction, and with AVX2, so
    /// the checks compare four values per instruction.
    walk_fma,
    "fma,avx2"
);
walk_with!(
    /// The walk with fused multiply-add alone, for CPUs that have FMA but not AVX2 (`mul_add` would
    /// otherwise be a library call per row).
    walk_fma_only,
    "fma"
);

/// [`walk`] on the fastest code the CPU runs; all give the same bits.
fn steps<R, const I: usize, const O: usize, const S: usize>(
    r: &R,
    state: &mut [f64; S],
    ins: [&[f64]; I],
    outs: &mut [&mut [f64]; O],
    (from, to): (usize, usize),
    offset: usize,
) -> Seen
where
    R: Recurrence<I, O, S>,
{
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU was just checked to support `fma` and `avx2`.
        return unsafe { walk_fma(r, state, ins, outs, from, to, offset) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU was just checked to support `fma`.
        return unsafe { walk_fma_only(r, state, ins, outs, from, to, offset) };
    }
    walk(r, state, ins, outs, from, to, offset)
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

/// Runs the kernel over one long series on two threads, with the result of [`run`]; reports a missing bar
/// as [`run_checked`] does.
///
/// Call it only when [`worth_splitting`] says so.
pub fn run_split<R, const I: usize, const O: usize, const S: usize>(
    r: &R,
    ins: [&[f64]; I],
    outs: [&mut [f64]; O],
) -> CheckedRun<O>
where
    R: Recurrence<I, O, S>,
{
    let n = ins.first().map_or(0, |c| c.len());
    let settle = r.settle();
    // The second thread walks `settle` extra bars, so it takes the shorter share.
    let split = (n + settle) / 2;
    let first_guessed = split - settle;
    let mut heads: [&mut [f64]; O] = std::array::from_fn(|_| <&mut [f64]>::default());
    let mut tails: [&mut [f64]; O] = std::array::from_fn(|_| <&mut [f64]>::default());
    for (k, out) in outs.into_iter().enumerate() {
        let (head, tail) = out.split_at_mut(split);
        heads[k] = head;
        tails[k] = tail;
    }
    let ((mut exact, head_seen), (guessed, tail_seen)) = thread::scope(|scope| {
        let tails = &mut tails;
        let second = scope.spawn(move || {
            let mut state = r.guess(ins, first_guessed);
            // The warm-up rows of the guess are stepped for their state only.
            let mut scratch: [Vec<f64>; O] = std::array::from_fn(|_| vec![0.0; settle]);
            let mut scratch_outs = scratch.each_mut().map(|s| &mut s[..]);
            let mut seen = steps(
                r,
                &mut state,
                ins,
                &mut scratch_outs,
                (first_guessed, split),
                first_guessed,
            );
            seen.nan = false;
            // States after rows split - 1, split, ..., kept for the first thread to compare with.
            let mut history = Vec::with_capacity(settle + 1);
            history.push(state);
            let checked_end = (split + settle).min(n);
            for i in split..checked_end {
                let mut one: [&mut [f64]; O] =
                    tails.each_mut().map(|t| &mut t[i - split..=i - split]);
                seen = seen.and(steps(r, &mut state, ins, &mut one, (i, i + 1), i));
                history.push(state);
            }
            seen = seen.and(steps(r, &mut state, ins, tails, (checked_end, n), split));
            (history, seen)
        });
        let (mut state, seed) = seeded(r, ins, &mut heads);
        let seen = steps(r, &mut state, ins, &mut heads, (r.lookback() + 1, split), 0);
        let guessed = second
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        ((state, seed.and(seen)), guessed)
    });
    let mut seen = head_seen.and(tail_seen);
    if seen.missing {
        return CheckedRun::MissingBar;
    }
    let mut met = false;
    for (i, state) in (split..n).zip(&guessed) {
        if same(&exact, state) {
            met = true;
            break;
        }
        seen = seen.and(steps(r, &mut exact, ins, &mut tails, (i, i + 1), split));
    }
    if !met {
        // The states never met: the exact walk finishes the series.
        let from = (split + guessed.len()).min(n);
        seen = seen.and(steps(r, &mut exact, ins, &mut tails, (from, n), split));
    }
    outcome(seen, r.lookback(), n)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An EMA whose settle can be set, to force the fallback.
    struct Ema {
        period: usize,
        settle: usize,
    }

    impl Recurrence<1, 1, 1> for Ema {
        fn lookback(&self) -> usize {
            self.period - 1
        }
        fn settle(&self) -> usize {
            self.settle
        }
        fn seed(&self, [x]: [&[f64]; 1], [out]: [&mut [f64]; 1]) -> [f64; 1] {
            let p = self.period;
            out[..p - 1].fill(f64::NAN);
            let seed = x[..p].iter().sum::<f64>() / p as f64;
            out[p - 1] = seed;
            [seed]
        }
        fn guess(&self, [x]: [&[f64]; 1], at: usize) -> [f64; 1] {
            [x[at] * 3.0]
        }
        fn step(&self, [prev]: &mut [f64; 1], [x]: [&[f64]; 1], i: usize) -> [f64; 1] {
            let k = 2.0 / (self.period as f64 + 1.0);
            *prev = (x[i] - *prev).mul_add(k, *prev);
            [*prev]
        }
    }

    fn walk_of(n: usize) -> Vec<f64> {
        let mut x = 100.0;
        (0..n)
            .map(|i| {
                x += ((i * 7919 % 1000) as f64 - 499.5) * 1e-3;
                x
            })
            .collect()
    }

    #[test]
    fn a_split_series_equals_the_sequential_walk_bit_for_bit() {
        let x = walk_of(300_000);
        for (period, settle) in [(10, 1_000), (200, 10_000)] {
            let r = Ema { period, settle };
            let mut want = vec![0.0; x.len()];
            run(&r, [&x], [&mut want]);
            let mut got = vec![0.0; x.len()];
            assert_eq!(
                run_split(&r, [&x], [&mut got]),
                outcome(Seen::default(), period - 1, x.len())
            );
            let same_bits = want
                .iter()
                .zip(&got)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same_bits, "period {period}");
        }
    }

    #[test]
    fn states_that_never_meet_fall_back_to_the_exact_walk() {
        // Far too short a settle for a 5,000-bar EMA: the guess has not converged at the split.
        let x = walk_of(200_000);
        let r = Ema {
            period: 5_000,
            settle: 2,
        };
        let mut want = vec![0.0; x.len()];
        run(&r, [&x], [&mut want]);
        let mut got = vec![0.0; x.len()];
        assert_ne!(run_split(&r, [&x], [&mut got]), CheckedRun::MissingBar);
        assert!(want
            .iter()
            .zip(&got)
            .all(|(a, b)| a.to_bits() == b.to_bits()));
    }

    #[test]
    fn a_missing_bar_in_either_half_is_reported() {
        let r = Ema {
            period: 10,
            settle: 1_000,
        };
        for at in [5, 150_000, 299_999] {
            let mut x = walk_of(300_000);
            x[at] = f64::NAN;
            let mut out = vec![0.0; x.len()];
            assert_eq!(
                run_split(&r, [&x], [&mut out]),
                CheckedRun::MissingBar,
                "missing bar at {at}"
            );
            assert_eq!(
                run_checked(&r, [&x], [&mut out]),
                CheckedRun::MissingBar,
                "missing bar at {at}"
            );
        }
    }

    #[test]
    fn short_series_are_all_warm_up() {
        let r = Ema {
            period: 5,
            settle: 10,
        };
        let mut out = [0.0; 4];
        run(&r, [&[1.0, 2.0, 3.0, 4.0]], [&mut out]);
        assert!(out.iter().all(|v| v.is_nan()));
    }
}
