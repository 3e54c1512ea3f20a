//! Overlap studies (moving averages) as pure kernels on slices.
//!
//! Each kernel writes `out[i]` for every bar at or after its lookback and `f64::NAN` before it; the
//! expression layer turns those warm-up rows into nulls.

/// Number of leading bars without output for a simple moving average of `period`.
pub fn sma_lookback(period: usize) -> usize {
    period.saturating_sub(1)
}

/// Simple moving average, bit-for-bit equal to TA-Lib 0.8.1 `TA_SMA`.
///
/// TA-Lib keeps a running total: it sums the first `period - 1` bars, then for each output adds the newest
/// bar, divides, and subtracts the oldest. The same order of additions gives the same rounding.
pub fn sma(input: &[f64], period: usize, out: &mut [f64]) {
    debug_assert_eq!(input.len(), out.len());
    debug_assert!(period >= 1);
    let lookback = sma_lookback(period);
    if input.len() <= lookback {
        out.fill(f64::NAN);
        return;
    }
    out[..lookback].fill(f64::NAN);
    let divisor = period as f64;
    let mut total = 0.0;
    for &x in &input[..lookback] {
        total += x;
    }
    for (i, o) in out.iter_mut().enumerate().skip(lookback) {
        total += input[i];
        let current = total;
        total -= input[i - lookback];
        *o = current / divisor;
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
}
