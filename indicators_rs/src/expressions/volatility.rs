//! Wrappers of the volatility indicators: ATR, NATR and the true range.

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;

use super::TimePeriodKwargs;
use crate::columns::{compute, compute_recurrence};
use crate::params::check_period;
use crate::volatility;

recurrence_period!(atr, 1, volatility::atr, |p| volatility::Atr::new(p, false), [h, l, c; 3]);
recurrence_period!(natr, 1, volatility::natr, |p| volatility::Atr::new(p, true), [h, l, c; 3]);

#[polars_expr(output_type=Float64)]
fn trange(inputs: &[Series]) -> PolarsResult<Series> {
    let [out] = compute(
        "trange",
        inputs,
        |[h, l, c]: [&[f64]; 3], [o]: [&mut [f64]; 1]| volatility::trange(h, l, c, o),
    )?;
    Ok(out.into_series())
}
