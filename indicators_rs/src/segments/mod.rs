//! Missing-bar handling and the grouped walk shared by every kernel.
//!
//! A missing bar is a bar where any input (high, low, close, volume, ...) is a null or a non-finite value
//! (NaN, ±inf). TA-Lib would let one such value poison every later output; here each maximal run of valid
//! bars is computed on its own, exactly as TA-Lib would compute that run alone. So the warm-up restarts after
//! a gap and every row inside a gap is NaN (null once it reaches Polars).
//!
//! The grouped walk applies the same rule inside each segment of a `by` column (one segment per symbol),
//! so a kernel never sees bars of two symbols at once, and spreads the segments over a few threads.
//!
//! `valid_runs` finds the runs of valid bars, `checked` runs a whole series as if no bar were missing and
//! checks that, `threads` shares work out over threads.

use std::thread;

mod checked;
mod threads;
mod valid_runs;

pub use checked::{run_checked, CheckedRun, CheckedRunner, CheckedVariants};
pub use threads::{block_cuts, join_all, thread_count, MIN_ROWS_PER_THREAD};
pub use valid_runs::{
    all_valid, find_first, for_each_valid_run, push_nan_runs, run_valid, NanRuns,
};

/// Splits every output at row `at` into the rows before it and the rows from it on.
fn split_outputs<'a, const O: usize>(
    outs: [&'a mut [f64]; O],
    at: usize,
) -> ([&'a mut [f64]; O], [&'a mut [f64]; O]) {
    let mut heads: [&'a mut [f64]; O] = std::array::from_fn(|_| <&mut [f64]>::default());
    let mut tails: [&'a mut [f64]; O] = std::array::from_fn(|_| <&mut [f64]>::default());
    for (k, out) in outs.into_iter().enumerate() {
        let (head, tail) = out.split_at_mut(at);
        heads[k] = head;
        tails[k] = tail;
    }
    (heads, tails)
}

/// Runs `kernel` over each segment `bounds[s]..bounds[s + 1]` on its own (see [`run_valid`]).
///
/// `bounds` starts at 0, ends at the number of rows and never decreases. Segments are shared out over at
/// most `threads` threads in contiguous blocks of roughly equal rows; the result does not depend on it.
/// A single long segment goes to `checked.long_series` when given, else runs as in [`run_checked`]; a
/// missing bar then sends it back run by run through `kernel`. Other segments go to `checked.segment`
/// when given, else straight to [`run_valid`].
///
/// Returns the runs of NaN rows of each output, found segment by segment while the segment is still in
/// cache (or as `long_series` reports them), or `None` when the caller is to scan the outputs.
pub fn run_segments<const I: usize, const O: usize, K>(
    inputs: [&[f64]; I],
    mut outs: [&mut [f64]; O],
    bounds: &[usize],
    threads: usize,
    kernel: &K,
    checked: CheckedVariants<'_, I, O>,
) -> Option<[NanRuns; O]>
where
    K: Fn([&[f64]; I], [&mut [f64]; O]) + Sync,
{
    let CheckedVariants {
        segment,
        long_series,
    } = checked;
    let n = bounds.last().copied().unwrap_or(0);
    let threads = threads.clamp(1, (n / MIN_ROWS_PER_THREAD).max(1));
    if threads == 1 {
        return Some(walk_segments(inputs, outs, bounds, 0, kernel, segment));
    }
    if bounds.len() == 2 {
        let reborrowed = outs.each_mut().map(|out| &mut **out);
        let outcome = match long_series {
            Some(long_series) => long_series(inputs, reborrowed),
            None => run_checked(inputs, reborrowed, kernel),
        };
        return match outcome {
            CheckedRun::Done(runs) => runs,
            CheckedRun::MissingBar => {
                run_valid(inputs, outs, kernel);
                None
            }
        };
    }
    let cuts = block_cuts(bounds, threads);
    let blocks: Vec<[NanRuns; O]> = thread::scope(|scope| {
        let mut rest = outs;
        let mut offset = 0;
        let mut handles = Vec::new();
        for block in cuts.windows(2) {
            let (first, last) = (block[0], block[1]);
            let rows = bounds[last] - bounds[first];
            let (mine, others) = split_outputs(rest, rows);
            rest = others;
            let block_bounds = &bounds[first..=last];
            let block_inputs = inputs.map(|column| &column[offset..offset + rows]);
            let base = offset;
            handles.push(scope.spawn(move || {
                walk_segments(block_inputs, mine, block_bounds, base, kernel, segment)
            }));
            offset += rows;
        }
        join_all(handles)
    });
    let mut runs: [NanRuns; O] = std::array::from_fn(|_| Vec::new());
    for block in blocks {
        for (all, mine) in runs.iter_mut().zip(block) {
            all.extend(mine);
        }
    }
    Some(runs)
}

/// Walks consecutive segments whose bounds are absolute rows; `base` is the row where these slices start.
/// Returns each output's runs of NaN rows (absolute), noted right after each segment is computed.
fn walk_segments<const I: usize, const O: usize, K>(
    inputs: [&[f64]; I],
    mut outs: [&mut [f64]; O],
    bounds: &[usize],
    base: usize,
    kernel: &K,
    checked: Option<CheckedRunner<'_, I, O>>,
) -> [NanRuns; O]
where
    K: Fn([&[f64]; I], [&mut [f64]; O]),
{
    let mut runs: [NanRuns; O] = std::array::from_fn(|_| Vec::new());
    for segment in bounds.windows(2) {
        let (start, end) = (segment[0] - base, segment[1] - base);
        if end <= start {
            continue;
        }
        let segment_inputs = inputs.map(|column| &column[start..end]);
        let mut segment_outs = outs.each_mut().map(|out| &mut out[start..end]);
        let outcome = match checked {
            Some(checked) => checked(segment_inputs, segment_outs.each_mut().map(|o| &mut **o)),
            None => CheckedRun::MissingBar,
        };
        match outcome {
            CheckedRun::Done(Some(noted)) => {
                for (runs, noted) in runs.iter_mut().zip(noted) {
                    runs.extend(
                        noted
                            .into_iter()
                            .map(|r| base + start + r.start..base + start + r.end),
                    );
                }
            }
            done_or_missing => {
                if done_or_missing == CheckedRun::MissingBar {
                    run_valid(segment_inputs, segment_outs, kernel);
                }
                for (out, runs) in outs.iter().zip(runs.iter_mut()) {
                    push_nan_runs(&out[start..end], base + start, runs);
                }
            }
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_lengths(run: [&[f64]; 2], outs: [&mut [f64]; 1]) {
        let [out] = outs;
        out.fill(run[0].len() as f64);
    }

    #[test]
    fn a_bar_is_missing_when_any_input_is_not_finite() {
        let close = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let volume = [1.0, f64::NAN, 1.0, 1.0, f64::INFINITY, 1.0];
        let mut out = [0.0; 6];
        run_valid([&close, &volume], [&mut out], &run_lengths);
        assert_eq!(out[0], 1.0);
        assert!(out[1].is_nan() && out[4].is_nan());
        assert_eq!(&out[2..4], &[2.0, 2.0]);
        assert_eq!(out[5], 1.0);
    }

    #[test]
    fn segments_never_share_a_run_whatever_the_thread_count() {
        let n = 3 * MIN_ROWS_PER_THREAD + 17;
        let close = vec![1.0; n];
        let bounds = [0, 5, MIN_ROWS_PER_THREAD, 2 * MIN_ROWS_PER_THREAD + 3, n];
        for threads in [1, 2, 3, 8] {
            let mut out = vec![0.0; n];
            run_segments(
                [&close, &close],
                [&mut out],
                &bounds,
                threads,
                &run_lengths,
                CheckedVariants::default(),
            );
            for segment in bounds.windows(2) {
                let len = (segment[1] - segment[0]) as f64;
                assert!(out[segment[0]..segment[1]].iter().all(|&v| v == len));
            }
        }
    }

    #[test]
    fn a_long_single_series_with_a_gap_is_redone_run_by_run() {
        let n = 3 * MIN_ROWS_PER_THREAD;
        let mut close = vec![1.0; n];
        let volume = vec![1.0; n];
        let mut out = vec![0.0; n];
        let run = |close: &[f64], out: &mut [f64]| {
            run_segments(
                [close, &volume],
                [out],
                &[0, n],
                2,
                &run_lengths,
                CheckedVariants::default(),
            )
        };
        run(&close, &mut out);
        assert!(out.iter().all(|&v| v == n as f64));
        close[10] = f64::NAN;
        run(&close, &mut out);
        assert_eq!(out[0], 10.0);
        assert!(out[10].is_nan());
        assert_eq!(out[11], (n - 11) as f64);
    }

    #[test]
    fn empty_input_and_empty_segments_are_fine() {
        let mut out: Vec<f64> = Vec::new();
        run_segments(
            [&[][..], &[][..]],
            [&mut out[..]],
            &[0],
            2,
            &run_lengths,
            CheckedVariants::default(),
        );
        let close = [1.0, 2.0];
        let mut out = [0.0; 2];
        run_segments(
            [&close, &close],
            [&mut out],
            &[0, 0, 2, 2],
            2,
            &run_lengths,
            CheckedVariants::default(),
        );
        assert_eq!(out, [2.0, 2.0]);
    }
}
