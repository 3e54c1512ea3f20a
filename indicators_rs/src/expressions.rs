//! Thin `#[polars_expr]` wrappers: validate, cast to f64, hand slices to the kernels, wrap the result.
#![allow(clippy::unused_unit)]

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use serde::Deserialize;

use crate::overlap;
use crate::segments::for_each_valid_run;

/// Keyword arguments of single-period indicators (`timeperiod` as in TA-Lib).
#[derive(Deserialize)]
struct TimePeriodKwargs {
    timeperiod: i64,
}

/// Checks a TA-Lib period and names the function and the fix when it is out of range.
fn check_period(function: &str, period: i64, min: i64) -> PolarsResult<usize> {
    if period < min || period > 100_000 {
        polars_bail!(InvalidOperation:
            "{function}: timeperiod={period} is out of range; pass an integer between {min} and 100000");
    }
    Ok(period as usize)
}

/// Casts a numeric input to Float64, or says which dtype was given and what to pass instead.
///
/// A column of dtype Null (every bar missing) is accepted and gives an all-null result.
fn float_input(function: &str, s: &Series) -> PolarsResult<Float64Chunked> {
    if !(s.dtype().is_numeric() || s.dtype().is_null()) {
        polars_bail!(InvalidOperation:
            "{function}: column '{}' has dtype {}; pass a numeric (float or integer) column, e.g. cast it with .cast(pl.Float64)",
            s.name(), s.dtype());
    }
    let s = s.cast(&DataType::Float64)?;
    Ok(s.f64()?.rechunk().into_owned())
}

/// Runs a single-input kernel over each run of valid bars and turns warm-up NaNs into nulls.
fn apply_single<F>(ca: &Float64Chunked, kernel: F) -> Float64Chunked
where
    F: Fn(&[f64], &mut [f64]),
{
    let n = ca.len();
    let values: Vec<f64> = ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
    let valid: Vec<bool> = values.iter().map(|v| v.is_finite()).collect();
    let mut out = vec![f64::NAN; n];
    for_each_valid_run(&values, &valid, &mut out, kernel);
    let out: Float64Chunked = out
        .into_iter()
        .map(|v| if v.is_nan() { None } else { Some(v) })
        .collect();
    out.with_name(ca.name().clone())
}

#[polars_expr(output_type=Float64)]
fn sma(inputs: &[Series], kwargs: TimePeriodKwargs) -> PolarsResult<Series> {
    let period = check_period("sma", kwargs.timeperiod, 2)?;
    let ca = float_input("sma", &inputs[0])?;
    Ok(apply_single(&ca, |run, out| overlap::sma(run, period, out)).into_series())
}
