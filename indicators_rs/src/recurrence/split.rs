//! One long series of a [`Recurrence`] on two threads, with the exact result (see the parent module).

use std::thread;

use super::walk::steps;
use super::{outcome, seeded, Recurrence};
use crate::segments::CheckedRun;

/// Runs the kernel over one long series on two threads, with the result of [`run`](super::run); reports a
/// missing bar as [`run_checked`](super::run_checked) does.
///
/// Call it only when [`worth_splitting`](super::worth_splitting) says so.
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

/// Whether two states hold the same bits (so 0.0 and -0.0 differ, and a NaN equals itself).
fn same<const S: usize>(a: &[f64; S], b: &[f64; S]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}
