//! Missing-bar handling shared by every kernel.
//!
//! A missing bar is a null or a non-finite value (NaN, ±inf). TA-Lib would let one such value poison every
//! later output; here each maximal run of valid values is computed on its own, exactly as TA-Lib would
//! compute that run alone. So the warm-up restarts after a gap and every row inside a gap is null.

/// Calls `kernel(run, out)` for every maximal run of valid values in `values`.
///
/// `out` is the slice of the output aligned with `run`. `valid[i]` says whether bar `i` is present.
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
