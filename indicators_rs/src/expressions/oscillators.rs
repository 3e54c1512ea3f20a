//! Wrappers of the other oscillators: CCI, MFI and the ultimate oscillator.

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use serde::Deserialize;

use super::TimePeriodKwargs;
use crate::columns::compute;
use crate::oscillators;
use crate::params::check_period;

#[derive(Deserialize)]
struct UltoscKwargs {
    timeperiod1: i64,
    timeperiod2: i64,
    timeperiod3: i64,
}

hlc_period!(cci, 2, oscillators::cci);

#[polars_expr(output_type=Float64)]
fn mfi(inputs: &[Series], kwargs: TimePeriodKwargs) -> PolarsResult<Series> {
    let f = "mfi";
    let period = check_period(f, "timeperiod", kwargs.timeperiod, 2)?;
    let [out] = compute(
        f,
        inputs,
        |[h, l, c, v]: [&[f64]; 4], [o]: [&mut [f64]; 1]| oscillators::mfi(h, l, c, v, period, o),
    )?;
    Ok(out.into_series())
}

#[polars_expr(output_type=Float64)]
fn ultosc(inputs: &[Series], kwargs: UltoscKwargs) -> PolarsResult<Series> {
    let f = "ultosc";
    let p1 = check_period(f, "timeperiod1", kwargs.timeperiod1, 1)?;
    let p2 = check_period(f, "timeperiod2", kwargs.timeperiod2, 1)?;
    let p3 = check_period(f, "timeperiod3", kwargs.timeperiod3, 1)?;
    let [out] = compute(f, inputs, |[h, l, c]: [&[f64]; 3], [o]: [&mut [f64]; 1]| {
        oscillators::ultosc(h, l, c, [p1, p2, p3], o)
    })?;
    Ok(out.into_series())
}
