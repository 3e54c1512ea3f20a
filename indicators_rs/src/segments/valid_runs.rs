//! Runs of valid bars: finding where they end, running a kernel on each, and the NaN rows of an output.

use std::ops::Range;

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

/// Whether every input is finite on rows `start..end`.
pub fn all_valid<const I: usize>(inputs: &[&[f64]; I], start: usize, end: usize) -> bool {
    run_end(&inputs.map(|column| &column[..end]), start, end) == end
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
}
