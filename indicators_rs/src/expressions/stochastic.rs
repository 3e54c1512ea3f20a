//! Wrappers of the stochastic family: STOCH, STOCHF, STOCHRSI, Williams' %R and Aroon.

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use serde::Deserialize;

use super::TimePeriodKwargs;
use crate::columns::{compute, into_struct, struct_field};
use crate::params::{check_matype, check_period};
use crate::stochastic;

#[derive(Deserialize)]
struct StochKwargs {
    fastk_period: i64,
    slowk_period: i64,
    slowk_matype: i64,
    slowd_period: i64,
    slowd_matype: i64,
}

#[derive(Deserialize)]
struct StochfKwargs {
    fastk_period: i64,
    fastd_period: i64,
    fastd_matype: i64,
}

#[derive(Deserialize)]
struct StochRsiKwargs {
    timeperiod: i64,
    fastk_period: i64,
    fastd_period: i64,
    fastd_matype: i64,
}

hlc_period!(willr, 2, stochastic::willr);

fn stoch_fields(input_fields: &[Field]) -> PolarsResult<Field> {
    struct_field(input_fields, &["slowk", "slowd"])
}

#[polars_expr(output_type_func=stoch_fields)]
fn stoch(inputs: &[Series], kwargs: StochKwargs) -> PolarsResult<Series> {
    let f = "stoch";
    let fastk = check_period(f, "fastk_period", kwargs.fastk_period, 1)?;
    let slowk = check_period(f, "slowk_period", kwargs.slowk_period, 1)?;
    let slowk_ma = check_matype(f, "slowk_matype", kwargs.slowk_matype)?;
    let slowd = check_period(f, "slowd_period", kwargs.slowd_period, 1)?;
    let slowd_ma = check_matype(f, "slowd_matype", kwargs.slowd_matype)?;
    let [k, d] = compute(
        f,
        inputs,
        |[h, l, c]: [&[f64]; 3], outs: [&mut [f64]; 2]| {
            stochastic::stoch(h, l, c, fastk, slowk, slowk_ma, slowd, slowd_ma, outs)
        },
    )?;
    into_struct(inputs[0].name().clone(), &[("slowk", k), ("slowd", d)])
}

fn fast_stoch_fields(input_fields: &[Field]) -> PolarsResult<Field> {
    struct_field(input_fields, &["fastk", "fastd"])
}

#[polars_expr(output_type_func=fast_stoch_fields)]
fn stochf(inputs: &[Series], kwargs: StochfKwargs) -> PolarsResult<Series> {
    let f = "stochf";
    let fastk = check_period(f, "fastk_period", kwargs.fastk_period, 1)?;
    let fastd = check_period(f, "fastd_period", kwargs.fastd_period, 1)?;
    let fastd_ma = check_matype(f, "fastd_matype", kwargs.fastd_matype)?;
    let [k, d] = compute(
        f,
        inputs,
        |[h, l, c]: [&[f64]; 3], outs: [&mut [f64]; 2]| {
            stochastic::stochf(h, l, c, fastk, fastd, fastd_ma, outs)
        },
    )?;
    into_struct(inputs[0].name().clone(), &[("fastk", k), ("fastd", d)])
}

#[polars_expr(output_type_func=fast_stoch_fields)]
fn stochrsi(inputs: &[Series], kwargs: StochRsiKwargs) -> PolarsResult<Series> {
    let f = "stochrsi";
    let period = check_period(f, "timeperiod", kwargs.timeperiod, 2)?;
    let fastk = check_period(f, "fastk_period", kwargs.fastk_period, 1)?;
    let fastd = check_period(f, "fastd_period", kwargs.fastd_period, 1)?;
    let fastd_ma = check_matype(f, "fastd_matype", kwargs.fastd_matype)?;
    let [k, d] = compute(f, inputs, |[x]: [&[f64]; 1], outs: [&mut [f64]; 2]| {
        stochastic::stochrsi(x, period, fastk, fastd, fastd_ma, outs)
    })?;
    into_struct(inputs[0].name().clone(), &[("fastk", k), ("fastd", d)])
}

fn aroon_fields(input_fields: &[Field]) -> PolarsResult<Field> {
    struct_field(input_fields, &["aroondown", "aroonup"])
}

#[polars_expr(output_type_func=aroon_fields)]
fn aroon(inputs: &[Series], kwargs: TimePeriodKwargs) -> PolarsResult<Series> {
    let f = "aroon";
    let period = check_period(f, "timeperiod", kwargs.timeperiod, 2)?;
    let [down, up] = compute(f, inputs, |[h, l]: [&[f64]; 2], outs: [&mut [f64]; 2]| {
        stochastic::aroon(h, l, period, outs)
    })?;
    into_struct(
        inputs[0].name().clone(),
        &[("aroondown", down), ("aroonup", up)],
    )
}

#[polars_expr(output_type=Float64)]
fn aroonosc(inputs: &[Series], kwargs: TimePeriodKwargs) -> PolarsResult<Series> {
    let f = "aroonosc";
    let period = check_period(f, "timeperiod", kwargs.timeperiod, 2)?;
    let [out] = compute(f, inputs, |[h, l]: [&[f64]; 2], [o]: [&mut [f64]; 1]| {
        stochastic::aroonosc(h, l, period, o)
    })?;
    Ok(out.into_series())
}
