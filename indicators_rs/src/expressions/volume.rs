//! Wrappers of the volume indicators: OBV, the accumulation/distribution line and its oscillator.

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use serde::Deserialize;

use crate::columns::compute;
use crate::params::check_period;
use crate::volume;

#[derive(Deserialize)]
struct AdoscKwargs {
    fastperiod: i64,
    slowperiod: i64,
}

#[polars_expr(output_type=Float64)]
fn obv(inputs: &[Series]) -> PolarsResult<Series> {
    let [out] = compute(
        "obv",
        inputs,
        |[c, v]: [&[f64]; 2], [o]: [&mut [f64]; 1]| volume::obv(c, v, o),
    )?;
    Ok(out.into_series())
}

#[polars_expr(output_type=Float64)]
fn ad(inputs: &[Series]) -> PolarsResult<Series> {
    let [out] = compute(
        "ad",
        inputs,
        |[h, l, c, v]: [&[f64]; 4], [o]: [&mut [f64]; 1]| volume::ad(h, l, c, v, o),
    )?;
    Ok(out.into_series())
}

#[polars_expr(output_type=Float64)]
fn adosc(inputs: &[Series], kwargs: AdoscKwargs) -> PolarsResult<Series> {
    let f = "adosc";
    let fast = check_period(f, "fastperiod", kwargs.fastperiod, 2)?;
    let slow = check_period(f, "slowperiod", kwargs.slowperiod, 2)?;
    let [out] = compute(
        f,
        inputs,
        |[h, l, c, v]: [&[f64]; 4], [o]: [&mut [f64]; 1]| volume::adosc(h, l, c, v, fast, slow, o),
    )?;
    Ok(out.into_series())
}
