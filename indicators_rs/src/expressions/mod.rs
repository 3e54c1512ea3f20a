//! Thin `#[polars_expr]` wrappers, one module per indicator family (as in the Python package): check the
//! TA-Lib parameters, hand the columns to a kernel through `columns::compute` (casting, missing bars, the
//! `by` segments, no panics), wrap the result.
#![allow(clippy::unused_unit)]

use serde::Deserialize;

/// Keyword arguments of single-period indicators (`timeperiod` as in TA-Lib).
#[derive(Deserialize)]
struct TimePeriodKwargs {
    timeperiod: i64,
}

/// One-input, one-period, one-output indicators.
macro_rules! single_period {
    ($name:ident, $min:expr, $kernel:expr) => {
        #[polars_expr(output_type=Float64)]
        fn $name(inputs: &[Series], kwargs: TimePeriodKwargs) -> PolarsResult<Series> {
            let function = stringify!($name);
            let period = check_period(function, "timeperiod", kwargs.timeperiod, $min)?;
            let [out] = compute(
                function,
                inputs,
                |[x]: [&[f64]; 1], [o]: [&mut [f64]; 1]| $kernel(x, period, o),
            )?;
            Ok(out.into_series())
        }
    };
}

/// High/low/close, one-period, one-output indicators.
macro_rules! hlc_period {
    ($name:ident, $min:expr, $kernel:expr) => {
        #[polars_expr(output_type=Float64)]
        fn $name(inputs: &[Series], kwargs: TimePeriodKwargs) -> PolarsResult<Series> {
            let function = stringify!($name);
            let period = check_period(function, "timeperiod", kwargs.timeperiod, $min)?;
            let [out] = compute(
                function,
                inputs,
                |[h, l, c]: [&[f64]; 3], [o]: [&mut [f64]; 1]| $kernel(h, l, c, period, o),
            )?;
            Ok(out.into_series())
        }
    };
}

/// Wraps a one-output kernel whose steady state is a `Recurrence`: `$recurrence(period)` builds it for
/// periods of 2 and more (one long series then runs on two cores), `$kernel` computes period 1.
macro_rules! recurrence_period {
    ($name:ident, $min:expr, $kernel:expr, $recurrence:expr, [$($input:ident),+; $n:literal]) => {
        #[polars_expr(output_type=Float64)]
        fn $name(inputs: &[Series], kwargs: TimePeriodKwargs) -> PolarsResult<Series> {
            let function = stringify!($name);
            let period = check_period(function, "timeperiod", kwargs.timeperiod, $min)?;
            let [out] = if period >= 2 {
                compute_recurrence(function, inputs, &($recurrence)(period))?
            } else {
                compute(function, inputs, |[$($input),+]: [&[f64]; $n], [o]: [&mut [f64]; 1]| {
                    $kernel($($input,)+ period, o)
                })?
            };
            Ok(out.into_series())
        }
    };
}

// After the macros, which the family modules use.
mod directional;
mod momentum;
mod oscillators;
mod overlap;
mod stochastic;
mod volatility;
mod volume;
