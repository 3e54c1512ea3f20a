//! Thin `#[polars_expr]` wrappers for the candlestick patterns: check the four price columns, cast them to
//! f64, run a kernel from `candles` over each run of valid bars, and return Int32 with null warm-up rows.
#![allow(clippy::unused_unit)]

use std::borrow::Cow;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use pyo3_polars::export::polars_arrow::bitmap::MutableBitmap;
use serde::Deserialize;

use crate::candles::{body, doji, hammer, star, three_candle, two_candle, Ohlc};

/// Names of the four inputs, in the order the Python wrappers pass them.
const PRICE_NAMES: [&str; 4] = ["open", "high", "low", "close"];

/// Keyword arguments of the patterns with a `penetration` (fraction of the first real body).
#[derive(Deserialize)]
struct PenetrationKwargs {
    penetration: f64,
}

/// Checks `penetration` as TA-Lib does (at least 0) and also refuses NaN and infinity.
fn check_penetration(function: &str, penetration: f64) -> PolarsResult<f64> {
    if !(penetration.is_finite() && penetration >= 0.0) {
        polars_bail!(InvalidOperation:
            "{function}: penetration={penetration} is out of range; pass a finite fraction of the first real body \
             at least 0, e.g. 0.3");
    }
    Ok(penetration)
}

/// Checks that there are four numeric inputs of one length and casts each to Float64.
fn price_columns(function: &str, inputs: &[Series]) -> PolarsResult<Vec<Float64Chunked>> {
    if inputs.len() != 4 {
        polars_bail!(InvalidOperation:
            "{function}: got {} input columns; pass exactly four: open, high, low and close", inputs.len());
    }
    let lengths: Vec<usize> = inputs.iter().map(|s| s.len()).collect();
    if lengths.iter().any(|&n| n != lengths[0]) {
        polars_bail!(ShapeMismatch:
            "{function}: open, high, low and close have lengths {lengths:?}; pass four columns of the same frame \
             (a scalar is not broadcast)");
    }
    inputs
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

/// The values of a Float64 column with every null read as NaN; borrowed when there is no null.
fn values_with_nan(ca: &Float64Chunked) -> Cow<'_, [f64]> {
    match ca.cont_slice() {
        Ok(slice) => Cow::Borrowed(slice),
        Err(_) => Cow::Owned(ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect()),
    }
}

/// Maximal runs of bars for which `valid(i)` holds, in order (the missing-bar rule of `segments`).
fn valid_runs(n: usize, valid: impl Fn(usize) -> bool) -> impl Iterator<Item = Range<usize>> {
    let mut start = 0;
    std::iter::from_fn(move || {
        while start < n && !valid(start) {
            start += 1;
        }
        if start >= n {
            return None;
        }
        let mut end = start;
        while end < n && valid(end) {
            end += 1;
        }
        let run = start..end;
        start = end;
        Some(run)
    })
}

/// Whether every bar has four finite prices; written as a branch-free count so it vectorizes.
fn all_bars_valid(open: &[f64], high: &[f64], low: &[f64], close: &[f64]) -> bool {
    let invalid: usize = open
        .iter()
        .zip(high)
        .zip(low)
        .zip(close)
        .map(|(((o, h), l), c)| {
            usize::from(!(o.is_finite() & h.is_finite() & l.is_finite() & c.is_finite()))
        })
        .sum();
    invalid == 0
}

/// Runs `kernel` on each run of valid bars (all four prices finite) and makes every other row null: the
/// missing bars themselves and the first `lookback` bars of each run.
fn apply_pattern<K>(
    function: &str,
    inputs: &[Series],
    lookback: usize,
    kernel: K,
) -> PolarsResult<Series>
where
    K: Fn(&Ohlc, &mut [i32]),
{
    let columns = price_columns(function, inputs)?;
    let [open, high, low, close] = [0, 1, 2, 3].map(|k| values_with_nan(&columns[k]));
    let n = close.len();
    let mut out = vec![0i32; n];
    let mut validity = MutableBitmap::with_capacity(n);
    let runs: Vec<Range<usize>> = if all_bars_valid(&open, &high, &low, &close) {
        vec![Range { start: 0, end: n }]
    } else {
        let valid = |i: usize| {
            open[i].is_finite() && high[i].is_finite() && low[i].is_finite() && close[i].is_finite()
        };
        valid_runs(n, valid).collect()
    };
    catch_unwind(AssertUnwindSafe(|| {
        for run in &runs {
            let first_output = (run.start + lookback).min(run.end);
            validity.extend_constant(first_output - validity.len(), false);
            validity.extend_constant(run.end - first_output, true);
            if run.len() > lookback {
                let bars = Ohlc::new(
                    &open[run.clone()],
                    &high[run.clone()],
                    &low[run.clone()],
                    &close[run.clone()],
                );
                kernel(&bars, &mut out[run.clone()]);
            }
        }
        validity.extend_constant(n - validity.len(), false);
    }))
    .map_err(|_| {
        polars_err!(ComputeError: "{function}: internal error in the kernel; please report it with the input")
    })?;
    let name = inputs[0].name().clone();
    Ok(Int32Chunked::from_vec_validity(name, out, Some(validity.into())).into_series())
}

/// One Int32 wrapper per pattern without parameters: `name => (lookback, kernel)`.
macro_rules! patterns {
    ($($name:ident => ($lookback:expr, $kernel:path)),* $(,)?) => {$(
        #[polars_expr(output_type=Int32)]
        fn $name(inputs: &[Series]) -> PolarsResult<Series> {
            apply_pattern(stringify!($name), inputs, $lookback, $kernel)
        }
    )*};
}

/// One Int32 wrapper per pattern with a `penetration` keyword argument.
macro_rules! penetration_patterns {
    ($($name:ident => ($lookback:expr, $kernel:path)),* $(,)?) => {$(
        #[polars_expr(output_type=Int32)]
        fn $name(inputs: &[Series], kwargs: PenetrationKwargs) -> PolarsResult<Series> {
            let penetration = check_penetration(stringify!($name), kwargs.penetration)?;
            apply_pattern(stringify!($name), inputs, $lookback, |bars, out| $kernel(bars, penetration, out))
        }
    )*};
}

patterns! {
    cdldoji => (doji::DOJI_LOOKBACK, doji::doji),
    cdldragonflydoji => (doji::SHADOWED_DOJI_LOOKBACK, doji::dragonfly_doji),
    cdlgravestonedoji => (doji::SHADOWED_DOJI_LOOKBACK, doji::gravestone_doji),
    cdllongleggeddoji => (doji::LONG_LEGGED_DOJI_LOOKBACK, doji::long_legged_doji),
    cdlhammer => (hammer::HAMMER_LOOKBACK, hammer::hammer),
    cdlhangingman => (hammer::HAMMER_LOOKBACK, hammer::hanging_man),
    cdlinvertedhammer => (hammer::INVERTED_HAMMER_LOOKBACK, hammer::inverted_hammer),
    cdlshootingstar => (hammer::INVERTED_HAMMER_LOOKBACK, hammer::shooting_star),
    cdlmarubozu => (body::MARUBOZU_LOOKBACK, body::marubozu),
    cdlspinningtop => (body::SPINNING_TOP_LOOKBACK, body::spinning_top),
    cdlengulfing => (two_candle::ENGULFING_LOOKBACK, two_candle::engulfing),
    cdlharami => (two_candle::HARAMI_LOOKBACK, two_candle::harami),
    cdlharamicross => (two_candle::HARAMI_CROSS_LOOKBACK, two_candle::harami_cross),
    cdlpiercing => (two_candle::PIERCING_LOOKBACK, two_candle::piercing),
    cdlkicking => (two_candle::KICKING_LOOKBACK, two_candle::kicking),
    cdl3whitesoldiers => (three_candle::THREE_WHITE_SOLDIERS_LOOKBACK, three_candle::three_white_soldiers),
    cdl3blackcrows => (three_candle::THREE_BLACK_CROWS_LOOKBACK, three_candle::three_black_crows),
    cdl3inside => (three_candle::THREE_INSIDE_LOOKBACK, three_candle::three_inside),
    cdl3outside => (three_candle::THREE_OUTSIDE_LOOKBACK, three_candle::three_outside),
}

penetration_patterns! {
    cdldarkcloudcover => (two_candle::PIERCING_LOOKBACK, two_candle::dark_cloud_cover),
    cdlmorningstar => (star::STAR_LOOKBACK, star::morning_star),
    cdleveningstar => (star::STAR_LOOKBACK, star::evening_star),
    cdlmorningdojistar => (star::DOJI_STAR_LOOKBACK, star::morning_doji_star),
    cdleveningdojistar => (star::DOJI_STAR_LOOKBACK, star::evening_doji_star),
    cdlabandonedbaby => (star::DOJI_STAR_LOOKBACK, star::abandoned_baby),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_runs_split_at_every_missing_bar() {
        let valid = [false, true, true, false, true, false, false, true];
        let runs: Vec<_> = valid_runs(valid.len(), |i| valid[i]).collect();
        assert_eq!(runs, vec![1..3, 4..5, 7..8]);
        assert_eq!(valid_runs(3, |_| false).count(), 0);
        assert_eq!(valid_runs(0, |_| true).count(), 0);
    }

    #[test]
    fn any_non_finite_price_makes_a_bar_invalid() {
        let ok = [1.0, 2.0, 3.0];
        assert!(all_bars_valid(&ok, &ok, &ok, &ok));
        assert!(all_bars_valid(&[], &[], &[], &[]));
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(!all_bars_valid(&ok, &ok, &[1.0, bad, 3.0], &ok));
        }
    }

    #[test]
    fn penetration_must_be_a_finite_non_negative_fraction() {
        assert_eq!(check_penetration("cdlmorningstar", 0.0).unwrap(), 0.0);
        for bad in [-0.1, f64::NAN, f64::INFINITY] {
            let err = check_penetration("cdlmorningstar", bad)
                .unwrap_err()
                .to_string();
            assert!(err.contains("cdlmorningstar: penetration="), "{err}");
        }
    }
}
