//! Missing-bar handling and the grouped walk shared by every kernel.
//!
//! A missing bar is a bar where any input (high, low, close, volume, ...) is a null or a non-finite value
//! (NaN, ±inf). TA-Lib would let one such value poison every later output; here each maximal run of valid
//! bars is computed on its own, exactly as TA-Lib would compute that run alone. So the warm-up restarts after
//! a gap and every row inside a gap is NaN (null once it reaches Polars).
//!
//! The grouped walk applies the same rule inside each segment of a `by` column (one segment per symbol),
//! so a kernel never sees bars of two symbols at once, and spreads the segments over a few threads.

use std::ops::Range;
use std::thread;

/// Fewest rows worth a thread of their own; below this the spawn costs more than it saves.
pub const MIN_ROWS_PER_THREAD: usize = 64 * 1024;

/// Calls `kernel(run, out)` for every maximal run of valid values in `values`.
///
/// `out` is the slice of the output aligned with `run`. `valid[i]` says whether bar `i` is present. Rows
/// outside every run are left as they are.
pub fn for_each_valid_run<F>(values: &[f64], valid: &[bool], out: &mut [f64], mut kernel: F)
where
    F: FnMut(&[f64], &mut [f64]),
{
    debug_assert_eq!(values.len(), valid.len());
    debug_assert_eq!(values.len(), out.len());
    let n = values.len();
    let mut start = 0;
    while start < n {
        while start < n && !valid[start] {
            start += 1;
        }
        let mut end = start;
        while end < n && valid[end] {
            end += 1;
        }
        if end > start {
            kernel(&values[start..end], &mut out[start..end]);
        }
        start = end;
    }
}

/// Bars scanned per column at a time when looking for the end of a run of valid bars.
const SCAN_BLOCK: usize = 1024;

/// Whether every input is finite at bar `i`.
#[inline]
fn bar_is_valid<const I: usize>(inputs: &[&[f64]; I], i: usize) -> bool {
    inputs.iter().all(|column| column[i].is_finite())
}

/// Index of the first value in `values` for which `bad` holds.
///
/// Checks 64 values at a time without branching (which the compiler vectorises) and only then looks for
/// the exact index, so long clean stretches cost a fraction of a cycle per value.
#[inline]
pub fn find_first(values: &[f64], bad: impl Fn(f64) -> bool) -> Option<usize> {
    const CHUNK: usize = 64;
    let mut offset = 0;
    for chunk in values.chunks(CHUNK) {
        if chunk.iter().fold(false, |any, &v| any | bad(v)) {
            return chunk.iter().position(|&v| bad(v)).map(|p| offset + p);
        }
        offset += chunk.len();
    }
    None
}

/// The first bar at or after `start` where some input is missing, or `n`.
///
/// Columns are scanned block by block (a tight loop the compiler vectorises), so a column without gaps is
/// never read far past the end of the run another column cuts short.
fn run_end<const I: usize>(inputs: &[&[f64]; I], start: usize, n: usize) -> usize {
    let mut block_start = start;
    while block_start < n {
        let block_end = (block_start + SCAN_BLOCK).min(n);
        let mut end = block_end;
        for column in inputs {
            if let Some(p) = find_first(&column[block_start..end], |v| !v.is_finite()) {
                end = block_start + p;
            }
        }
        if end < block_end {
            return end;
        }
        block_start = block_end;
    }
    n
}

/// Runs `kernel` on every maximal run of valid bars of `inputs`, writing NaN into every missing bar.
///
/// The kernel gets the inputs and outputs sliced to the run and must write every output row of it.
pub fn run_valid<const I: usize, const O: usize, K>(
    inputs: [&[f64]; I],
    mut outs: [&mut [f64]; O],
    kernel: &K,
) where
    K: Fn([&[f64]; I], [&mut [f64]; O]),
{
    let n = outs
        .first()
        .map_or_else(|| inputs.first().map_or(0, |c| c.len()), |o| o.len());
    let mut start = 0;
    while start < n {
        let gap_start = start;
        while start < n && !bar_is_valid(&inputs, start) {
            start += 1;
        }
        for out in outs.iter_mut() {
            out[gap_start..start].fill(f64::NAN);
        }
        let end = run_end(&inputs, start, n);
        if end > start {
            let run_inputs = inputs.map(|column| &column[start..end]);
            let run_outs = outs.each_mut().map(|out| &mut out[start..end]);
            kernel(run_inputs, run_outs);
        }
        start = end;
    }
}

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

/// A checked way to run a kernel over a whole series (see [`CheckedVariants`]): it computes every row as if
/// no bar were missing and checks that on the way, reporting the series done (with its NaN rows when it
/// knows them) or a missing bar (outputs unspecified).
pub type CheckedRunner<'a, const I: usize, const O: usize> =
    &'a (dyn Fn([&[f64]; I], [&mut [f64]; O]) -> CheckedRun<O> + Sync);

/// A kernel's checked variants, when it has them: `segment` runs one segment on the calling thread
/// assuming no bar is missing and says whether that held (checking on the way, with no separate pass);
/// `long_series` runs one long series over several threads.
#[derive(Clone, Copy, Default)]
pub struct CheckedVariants<'a, const I: usize, const O: usize> {
    pub segment: Option<CheckedRunner<'a, I, O>>,
    pub long_series: Option<CheckedRunner<'a, I, O>>,
}

/// How a checked run over a whole series went: a bar was missing (the outputs are to be redone run by
/// run), or it is done, with each output's NaN rows when they are known without a scan.
#[derive(Debug, PartialEq, Eq)]
pub enum CheckedRun<const O: usize> {
    MissingBar,
    Done(Option<[NanRuns; O]>),
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

/// Cuts the segments into at most `threads` contiguous blocks of about equal rows; returns the indices
/// into `bounds` where blocks start, then `bounds.len() - 1`.
pub fn block_cuts(bounds: &[usize], threads: usize) -> Vec<usize> {
    let n = bounds.last().copied().unwrap_or(0);
    let mut cuts = vec![0usize];
    for t in 1..threads {
        let target = n * t / threads;
        let s = bounds
            .partition_point(|&b| b < target)
            .min(bounds.len() - 1);
        if s > *cuts.last().unwrap_or(&0) && s < bounds.len() - 1 {
            cuts.push(s);
        }
    }
    cuts.push(bounds.len() - 1);
    cuts
}

/// One long series on two cores: the kernel runs over every bar as if none were missing while a second
/// thread checks that assumption.
///
/// Scanning the inputs for missing bars reads them once more, which costs about as much as a simple
/// kernel; overlapping the two hides it for the usual gap-free series.
pub fn run_checked<const I: usize, const O: usize, K>(
    inputs: [&[f64]; I],
    outs: [&mut [f64]; O],
    kernel: &K,
) -> CheckedRun<O>
where
    K: Fn([&[f64]; I], [&mut [f64]; O]) + Sync,
{
    let n = outs.first().map_or(0, |o| o.len());
    let all_valid = thread::scope(|scope| {
        let check = scope.spawn(|| all_valid(&inputs, 0, n));
        kernel(inputs, outs);
        check.join().unwrap_or(false)
    });
    if all_valid {
        CheckedRun::Done(None)
    } else {
        CheckedRun::MissingBar
    }
}

/// Whether every input is finite on rows `start..end`.
pub fn all_valid<const I: usize>(inputs: &[&[f64]; I], start: usize, end: usize) -> bool {
    run_end(&inputs.map(|column| &column[..end]), start, end) == end
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

/// Rows of an output that are NaN (warm-up and missing bars), as sorted, disjoint ranges of rows.
pub type NanRuns = Vec<Range<usize>>;

/// Appends the runs of NaN in `values` (whose first row is row `base`) to `runs`.
///
/// Runs come at the start of a segment (warm-up) and at gaps, so this skips from run to run with the
/// vectorised [`find_first`].
pub fn push_nan_runs(values: &[f64], base: usize, runs: &mut NanRuns) {
    let n = values.len();
    let mut i = 0;
    while let Some(first) = find_first(&values[i..], f64::is_nan) {
        let start = i + first;
        let len = values[start..]
            .iter()
            .position(|v| !v.is_nan())
            .unwrap_or(n - start);
        runs.push(base + start..base + start + len);
        i = start + len;
    }
}

/// The results of scoped threads, in order; a thread's panic goes on unwinding here.
pub fn join_all<T>(handles: Vec<thread::ScopedJoinHandle<'_, T>>) -> Vec<T> {
    handles
        .into_iter()
        .map(|h| {
            h.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
        .collect()
}

/// Threads to spread a grouped call over: `POLARS_MAX_THREADS` when set, else the available cores.
pub fn thread_count() -> usize {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    std::env::var("POLARS_MAX_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&v| v > 0)
        .map_or(cores, |v| v.min(cores))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_split_at_every_gap() {
        let values = [1.0, 2.0, 0.0, 3.0, 4.0, 5.0];
        let valid = [true, true, false, true, true, true];
        let mut out = [0.0; 6];
        let mut seen = Vec::new();
        for_each_valid_run(&values, &valid, &mut out, |run, o| {
            seen.push(run.to_vec());
            o.fill(run.len() as f64);
        });
        assert_eq!(seen, vec![vec![1.0, 2.0], vec![3.0, 4.0, 5.0]]);
        assert_eq!(out, [2.0, 2.0, 0.0, 3.0, 3.0, 3.0]);
    }

    #[test]
    fn runs_touching_either_end_and_single_bars_are_kept() {
        let values = [1.0, 0.0, 2.0, 0.0, 0.0, 3.0, 4.0];
        let valid = [true, false, true, false, false, true, true];
        let mut out = [0.0; 7];
        let mut seen = Vec::new();
        for_each_valid_run(&values, &valid, &mut out, |run, _| seen.push(run.to_vec()));
        assert_eq!(seen, vec![vec![1.0], vec![2.0], vec![3.0, 4.0]]);
    }

    #[test]
    fn all_missing_calls_nothing() {
        let mut out = [7.0; 3];
        for_each_valid_run(&[0.0; 3], &[false; 3], &mut out, |_, _| {
            panic!("no run expected")
        });
        assert_eq!(out, [7.0; 3]);
    }

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
    fn blocks_are_cut_at_segment_bounds() {
        assert_eq!(block_cuts(&[0, 2, 6, 10], 2), vec![0, 2, 3]);
        assert_eq!(block_cuts(&[0, 10], 2), vec![0, 1]);
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
