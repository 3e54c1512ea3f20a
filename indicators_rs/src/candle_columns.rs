//! The Polars side of the candlestick patterns: check and cast the four price columns, split the bars into
//! `by` segments and runs of valid bars, run a kernel on each run (segments spread over threads), and build
//! the Int32 column with nulls on missing bars and on each run's warm-up.

use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::thread;

use polars::prelude::*;
use pyo3_polars::export::polars_arrow::bitmap::MutableBitmap;

use crate::candles::Ohlc;
use crate::columns::values_with_nan;
use crate::grouping::{gather_into, groups, scatter_into, Groups};
use crate::segments::{block_cuts, join_all, thread_count, MIN_ROWS_PER_THREAD};

/// Names of the four price inputs, in the order the Python wrappers pass them.
const PRICE_NAMES: [&str; 4] = ["open", "high", "low", "close"];

/// Checks the four price inputs (and the optional fifth, `by`), and casts the prices to Float64.
fn price_columns(function: &str, inputs: &[Series]) -> PolarsResult<Vec<Float64Chunked>> {
    if inputs.len() != 4 && inputs.len() != 5 {
        polars_bail!(InvalidOperation:
            "{function}: got {} input columns; pass exactly four: open, high, low and close (and optionally by)",
            inputs.len());
    }
    let lengths: Vec<usize> = inputs.iter().map(|s| s.len()).collect();
    if lengths.iter().any(|&n| n != lengths[0]) {
        polars_bail!(ShapeMismatch:
            "{function}: open, high, low and close have lengths {lengths:?}; pass four columns of the same frame \
             (a scalar is not broadcast)");
    }
    inputs[..4]
        .iter()
        .zip(PRICE_NAMES)
        .map(|(s, role)| {
            if !(s.dtype().is_numeric() || s.dtype().is_null()) {
                polars_bail!(InvalidOperation:
                    "{function}: {role} column '{}' has dtype {}; pass a numeric (float or integer) column, e.g. \
                     cast it with .cast(pl.Float64)", s.name(), s.dtype());
            }
            Ok(s.cast(&DataType::Float64)?.f64()?.rechunk().into_owned())
        })
        .collect()
}

/// Whether every bar has four finite prices; written as a branch-free count so it vectorizes.
fn all_bars_valid(bars: &Ohlc) -> bool {
    let invalid: usize = bars
        .open
        .iter()
        .zip(bars.high)
        .zip(bars.low)
        .zip(bars.close)
        .map(|(((o, h), l), c)| {
            usize::from(!(o.is_finite() & h.is_finite() & l.is_finite() & c.is_finite()))
        })
        .sum();
    invalid == 0
}

/// [`all_bars_valid`], the second half checked on another thread.
fn all_bars_valid_on_two_threads(bars: &Ohlc) -> bool {
    let middle = bars.len() / 2;
    let (head, tail) = (bars.slice(0..middle), bars.slice(middle..bars.len()));
    thread::scope(|scope| {
        let tail_valid = scope.spawn(move || all_bars_valid(&tail));
        // Both halves are always checked, so a panic in either comes back here rather than being lost.
        let head_valid = all_bars_valid(&head);
        let tail_valid = tail_valid
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        head_valid && tail_valid
    })
}

/// Maximal runs of bars with four finite prices, in order (the missing-bar rule of `segments`).
fn valid_runs(bars: &Ohlc) -> Vec<Range<usize>> {
    let n = bars.len();
    if all_bars_valid(bars) {
        return vec![Range { start: 0, end: n }];
    }
    let valid = |i: usize| {
        bars.open[i].is_finite()
            && bars.high[i].is_finite()
            && bars.low[i].is_finite()
            && bars.close[i].is_finite()
    };
    let mut runs = Vec::new();
    let mut start = 0;
    while start < n {
        while start < n && !valid(start) {
            start += 1;
        }
        let mut end = start;
        while end < n && valid(end) {
            end += 1;
        }
        if end > start {
            runs.push(start..end);
        }
        start = end;
    }
    runs
}

/// Runs `kernel` on every valid run of every segment `bounds[s]..bounds[s + 1]` (bounds absolute, `base`
/// the row where `bars` and `out` start); returns the runs, absolute, in order.
fn walk_valid_runs<K>(
    bars: Ohlc,
    out: &mut [i32],
    bounds: &[usize],
    base: usize,
    lookback: usize,
    kernel: &K,
) -> Vec<Range<usize>>
where
    K: Fn(&Ohlc, &mut [i32]),
{
    let mut runs = Vec::new();
    for segment in bounds.windows(2) {
        let (start, end) = (segment[0] - base, segment[1] - base);
        let seg = bars.slice(start..end);
        for run in valid_runs(&seg) {
            let (from, to) = (start + run.start, start + run.end);
            if run.len() > lookback {
                kernel(&bars.slice(from..to), &mut out[from..to]);
            }
            runs.push(base + from..base + to);
        }
    }
    runs
}

/// Runs `kernel` over each `by` group's runs of valid bars (the whole column is one group without `by`;
/// see `grouping`) and returns Int32: the kernel's values where it wrote, null on missing bars and on the
/// first `lookback` bars of each run. A panic in a kernel becomes a Polars error instead of crossing into
/// Python.
pub fn apply_pattern<K>(
    function: &str,
    inputs: &[Series],
    lookback: usize,
    kernel: K,
) -> PolarsResult<Series>
where
    K: Fn(&Ohlc, &mut [i32]) + Sync,
{
    let columns = price_columns(function, inputs)?;
    let prices = [0, 1, 2, 3].map(|k| values_with_nan(&columns[k]));
    let n = prices[0].len();
    let groups = match inputs.get(4) {
        Some(by) => groups(function, by)?,
        None => Groups::whole(n),
    };
    let threads = thread_count().clamp(1, (n / MIN_ROWS_PER_THREAD).max(1));
    let (out, validity) = match groups {
        Groups::Contiguous(bounds) => {
            let bars = Ohlc::new(&prices[0], &prices[1], &prices[2], &prices[3]);
            run_pattern(function, bars, &bounds, threads, lookback, &kernel)?
        }
        Groups::Gathered { order, bounds } => {
            // Group by group through scratch columns, so memory stays near the output's size.
            let mut out = vec![0i32; n];
            let mut validity = MutableBitmap::from_len_zeroed(n);
            let mut scratch: [Vec<f64>; 4] = std::array::from_fn(|_| Vec::new());
            for group in bounds.windows(2) {
                let rows = &order[group[0]..group[1]];
                for (column, into) in prices.iter().zip(scratch.iter_mut()) {
                    gather_into(rows, column, into);
                }
                let bars = Ohlc::new(&scratch[0], &scratch[1], &scratch[2], &scratch[3]);
                let (values, valid) =
                    run_pattern(function, bars, &[0, rows.len()], 1, lookback, &kernel)?;
                scatter_into(rows, &values, &mut out);
                for (k, &row) in rows.iter().enumerate() {
                    validity.set(row as usize, valid.get(k));
                }
            }
            (out, validity)
        }
    };
    let name = inputs[0].name().clone();
    Ok(Int32Chunked::from_vec_validity(name, out, Some(validity.into())).into_series())
}

/// Runs `kernel` on the valid runs of every segment `bounds[s]..bounds[s + 1]` of `bars`, the segments
/// spread over `threads` threads; returns the values and their validity.
fn run_pattern<K>(
    function: &str,
    bars: Ohlc,
    bounds: &[usize],
    threads: usize,
    lookback: usize,
    kernel: &K,
) -> PolarsResult<(Vec<i32>, MutableBitmap)>
where
    K: Fn(&Ohlc, &mut [i32]) + Sync,
{
    let n = bars.len();
    let mut out = vec![0i32; n];
    let walked = catch_unwind(AssertUnwindSafe(|| {
        if bounds.len() == 2 && threads >= 2 {
            // One long series: with no bar missing, the pattern may spread it over two threads.
            if !all_bars_valid_on_two_threads(&bars) {
                return walk_valid_runs(bars, &mut out, bounds, 0, lookback, kernel);
            }
            kernel(&bars.splittable(), &mut out);
            return std::iter::once(0..n).collect();
        }
        let cuts = block_cuts(bounds, threads);
        if cuts.len() <= 2 {
            return walk_valid_runs(bars, &mut out, bounds, 0, lookback, kernel);
        }
        thread::scope(|scope| {
            let mut rest: &mut [i32] = &mut out;
            let mut handles = Vec::new();
            for block in cuts.windows(2) {
                let (first, last) = (bounds[block[0]], bounds[block[1]]);
                let (mine, others) = std::mem::take(&mut rest).split_at_mut(last - first);
                rest = others;
                let block_bounds = &bounds[block[0]..=block[1]];
                let block_bars = bars.slice(first..last);
                handles.push(scope.spawn(move || {
                    walk_valid_runs(block_bars, mine, block_bounds, first, lookback, kernel)
                }));
            }
            join_all(handles).into_iter().flatten().collect()
        })
    }));
    let Ok(runs) = walked else {
        polars_bail!(ComputeError: "{function}: internal error in the kernel; please report it with the input");
    };
    let mut validity = MutableBitmap::with_capacity(n);
    for run in &runs {
        let first_output = (run.start + lookback).min(run.end);
        validity.extend_constant(first_output - validity.len(), false);
        validity.extend_constant(run.end - first_output, true);
    }
    validity.extend_constant(n - validity.len(), false);
    Ok((out, validity))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars_of(valid: &[bool]) -> [Vec<f64>; 4] {
        let prices: Vec<f64> = valid
            .iter()
            .map(|&v| if v { 1.0 } else { f64::NAN })
            .collect();
        [
            prices.clone(),
            vec![2.0; valid.len()],
            vec![0.5; valid.len()],
            vec![1.5; valid.len()],
        ]
    }

    #[test]
    fn valid_runs_split_at_every_missing_bar() {
        let cols = bars_of(&[false, true, true, false, true, false, false, true]);
        let bars = Ohlc::new(&cols[0], &cols[1], &cols[2], &cols[3]);
        assert_eq!(valid_runs(&bars), vec![1..3, 4..5, 7..8]);
        let none = bars_of(&[false; 3]);
        assert!(valid_runs(&Ohlc::new(&none[0], &none[1], &none[2], &none[3])).is_empty());
    }

    #[test]
    fn any_non_finite_price_makes_a_bar_invalid() {
        let ok = [1.0, 2.0, 3.0];
        assert!(all_bars_valid(&Ohlc::new(&ok, &ok, &ok, &ok)));
        assert!(all_bars_valid(&Ohlc::new(&[], &[], &[], &[])));
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(!all_bars_valid(&Ohlc::new(&ok, &ok, &[1.0, bad, 3.0], &ok)));
        }
    }

    #[test]
    fn segments_restart_runs() {
        let cols = bars_of(&[true; 6]);
        let bars = Ohlc::new(&cols[0], &cols[1], &cols[2], &cols[3]);
        let mut out = [0; 6];
        let runs = walk_valid_runs(
            bars,
            &mut out,
            &[0, 2, 6],
            0,
            1,
            &|b: &Ohlc, o: &mut [i32]| o.fill(b.len() as i32),
        );
        assert_eq!(runs, vec![0..2, 2..6]);
        assert_eq!(out, [2, 2, 4, 4, 4, 4]);
    }
}
