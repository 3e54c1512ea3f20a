//! The blocks of equal consecutive keys of a `by` column: where each one starts.
//!
//! A string or integer key without nulls is read in place. A key column Polars knows is sorted (it is after
//! `sort("symbol", ...)`) needs no scan at all: each block's end is found by a galloping search, so a few
//! thousand symbols cost a few thousand comparisons whatever the rows. Any other is scanned once, spread
//! over the cores, since reading 16-byte string views of millions of rows is bound by memory bandwidth.

use std::thread;

use polars::prelude::*;
use polars::series::IsSorted;

use crate::segments::{join_all, thread_count, MIN_ROWS_PER_THREAD};

/// Start rows of each block of equal consecutive keys in `by`, followed by its length; `None` as soon as
/// there are more than `cap` blocks (the keys are interleaved, and a list as long as the rows is not kept).
pub(crate) fn segment_bounds(
    function: &str,
    by: &Series,
    cap: usize,
) -> PolarsResult<Option<Vec<usize>>> {
    let n = by.len();
    if n == 0 {
        return Ok(Some(vec![0]));
    }
    let sorted = !matches!(by.is_sorted_flag(), IsSorted::Not);
    let physical = by.to_physical_repr().rechunk();
    if physical.null_count() == 0 {
        if let Ok(keys) = physical.str() {
            if let Some(array) = keys.downcast_iter().next() {
                let views = array.views();
                let same = |i: usize, j: usize| {
                    let (a, b) = (views[i], views[j]);
                    // A string of up to 12 bytes lives entirely in its view; longer ones may differ only
                    // in storage, so they are compared byte for byte.
                    a.as_u128() == b.as_u128()
                        || (a.length == b.length
                            && a.length > 12
                            && a.prefix == b.prefix
                            && array.value(i) == array.value(j))
                };
                return Ok(bounds_where(n, sorted, cap, &same));
            }
        }
        macro_rules! integer_keys {
            ($($dtype:ident => $accessor:ident),*) => {
                match physical.dtype() {
                    $(DataType::$dtype => {
                        if let Ok(slice) = physical.$accessor()?.cont_slice() {
                            return Ok(bounds_where(n, sorted, cap, &|i, j| slice[i] == slice[j]));
                        }
                    })*
                    _ => {}
                }
            };
        }
        integer_keys!(
            Int8 => i8, Int16 => i16, Int32 => i32, Int64 => i64,
            UInt8 => u8, UInt16 => u16, UInt32 => u32, UInt64 => u64
        );
    }
    generic_bounds(function, &physical, cap)
}

/// Block starts of `n` keys where `same(i, j)` says whether keys `i` and `j` are equal, then `n`; `None`
/// beyond `cap` blocks.
fn bounds_where<F>(n: usize, sorted: bool, cap: usize, same: &F) -> Option<Vec<usize>>
where
    F: Fn(usize, usize) -> bool + Sync,
{
    let mut bounds = if sorted {
        gallop(n, cap, same)?
    } else {
        scan(n, cap, same)?
    };
    bounds.push(n);
    Some(bounds)
}

/// Block starts of sorted keys (equal keys are contiguous): from each start, doubling steps find a row
/// past the block and a binary search its first row.
fn gallop<F: Fn(usize, usize) -> bool>(n: usize, cap: usize, same: &F) -> Option<Vec<usize>> {
    let mut bounds = vec![0];
    let mut start = 0;
    while start < n {
        if bounds.len() > cap {
            return None;
        }
        let mut inside = start;
        let mut step = 1;
        while inside + step < n && same(start, inside + step) {
            inside += step;
            step *= 2;
        }
        let mut outside = (inside + step).min(n);
        // Invariant: row `inside` is in the block, row `outside` (or the end) is not.
        while outside - inside > 1 {
            let mid = inside + (outside - inside) / 2;
            if same(start, mid) {
                inside = mid;
            } else {
                outside = mid;
            }
        }
        if outside < n {
            bounds.push(outside);
        }
        start = outside;
    }
    Some(bounds)
}

/// Block starts found by comparing each key with the one before, in contiguous shares over the cores.
fn scan<F>(n: usize, cap: usize, same: &F) -> Option<Vec<usize>>
where
    F: Fn(usize, usize) -> bool + Sync,
{
    let starts_in = |from: usize, to: usize| -> Option<Vec<usize>> {
        let mut starts = Vec::new();
        for i in from.max(1)..to {
            if !same(i - 1, i) {
                starts.push(i);
                if starts.len() >= cap {
                    return None;
                }
            }
        }
        Some(starts)
    };
    let threads = thread_count().clamp(1, (n / MIN_ROWS_PER_THREAD).max(1));
    let shares: Vec<Option<Vec<usize>>> = if threads == 1 {
        vec![starts_in(0, n)]
    } else {
        thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (from, to) = (n * t / threads, n * (t + 1) / threads);
                    scope.spawn(move || starts_in(from, to))
                })
                .collect();
            join_all(handles)
        })
    };
    let mut bounds = vec![0];
    for share in shares {
        bounds.extend(share?);
        if bounds.len() > cap {
            return None;
        }
    }
    Some(bounds)
}

/// Block starts for any other key dtype, by comparing each key with the one before it.
fn generic_bounds(function: &str, by: &Series, cap: usize) -> PolarsResult<Option<Vec<usize>>> {
    let changed = by
        .not_equal_missing(&by.shift(1))
        .map_err(|e| polars_err!(InvalidOperation: "{function}: cannot group by column '{}' of dtype {} ({e}); pass a string or integer symbol column", by.name(), by.dtype()))?;
    let mut bounds = vec![0];
    for (i, flag) in changed.iter().enumerate().skip(1) {
        if flag.unwrap_or(false) {
            bounds.push(i);
            if bounds.len() > cap {
                return Ok(None);
            }
        }
    }
    bounds.push(by.len());
    Ok(Some(bounds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(keys: &[u32]) -> Vec<usize> {
        let mut bounds = vec![0];
        bounds.extend((1..keys.len()).filter(|&i| keys[i] != keys[i - 1]));
        bounds.push(keys.len());
        bounds
    }

    #[test]
    fn galloping_over_sorted_keys_finds_every_block() {
        for sizes in [vec![1], vec![1, 1, 1], vec![5, 1, 300, 2, 64, 65, 1]] {
            let keys: Vec<u32> = sizes
                .iter()
                .enumerate()
                .flat_map(|(k, &size)| std::iter::repeat_n(k as u32, size))
                .collect();
            let got = bounds_where(keys.len(), true, usize::MAX, &|i, j| keys[i] == keys[j]);
            assert_eq!(got, Some(naive(&keys)), "{sizes:?}");
        }
    }

    #[test]
    fn a_scan_spread_over_threads_equals_one_pass() {
        let n = 3 * MIN_ROWS_PER_THREAD + 5;
        let keys: Vec<u32> = (0..n).map(|i| ((i * 7) / 1000) as u32 % 13).collect();
        let same = |i: usize, j: usize| keys[i] == keys[j];
        assert_eq!(
            bounds_where(n, false, usize::MAX, &same),
            Some(naive(&keys))
        );
        assert_eq!(bounds_where(n, false, 10, &same), None);
        assert_eq!(bounds_where(n, true, 10, &same), None);
    }

    #[test]
    fn string_keys_longer_than_a_view_are_compared_by_value() {
        let long = "a symbol name longer than twelve bytes";
        let keys = Series::new("k".into(), &[long, long, "B", "B", long]);
        assert_eq!(
            segment_bounds("t", &keys, 9).unwrap(),
            Some(vec![0, 2, 4, 5])
        );
        let sorted = Series::new("k".into(), &["A", "A", "A", "B", long, long])
            .sort(Default::default())
            .unwrap();
        assert_eq!(
            segment_bounds("t", &sorted, 9).unwrap(),
            Some(vec![0, 3, 4, 6])
        );
    }
}
