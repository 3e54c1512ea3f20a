//! Wrappers of the momentum indicators: RSI, MOM, ROC, MACD and the price oscillators.

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use serde::Deserialize;

use super::TimePeriodKwargs;
use crate::columns::{compute, compute_recurrence, into_struct, struct_field};
use crate::momentum::{self, Macd};
use crate::params::{check_matype, check_period};

#[derive(Deserialize)]
struct MacdKwargs {
    fastperiod: i64,
    slowperiod: i64,
    signalperiod: i64,
}

#[derive(Deserialize)]
struct MacdFixKwargs {
    signalperiod: i64,
}

#[derive(Deserialize)]
struct OscillatorKwargs {
    fastperiod: i64,
    slowperiod: i64,
    matype: i64,
}

recurrence_period!(rsi, 2, momentum::rsi, momentum::Rsi::new, [x; 1]);
single_period!(mom, 1, momentum::mom);
single_period!(roc, 1, momentum::roc);

fn macd_fields(input_fields: &[Field]) -> PolarsResult<Field> {
    struct_field(input_fields, &["macd", "macdsignal", "macdhist"])
}

#[polars_expr(output_type_func=macd_fields)]
fn macd(inputs: &[Series], kwargs: MacdKwargs) -> PolarsResult<Series> {
    let f = "macd";
    let fast = check_period(f, "fastperiod", kwargs.fastperiod, 2)?;
    let slow = check_period(f, "slowperiod", kwargs.slowperiod, 2)?;
    let signal = check_period(f, "signalperiod", kwargs.signalperiod, 1)?;
    let [m, s, h] = compute_recurrence(f, inputs, &Macd::from_periods(fast, slow, signal))?;
    into_struct(
        inputs[0].name().clone(),
        &[("macd", m), ("macdsignal", s), ("macdhist", h)],
    )
}

#[polars_expr(output_type_func=macd_fields)]
fn macdfix(inputs: &[Series], kwargs: MacdFixKwargs) -> PolarsResult<Series> {
    let f = "macdfix";
    let signal = check_period(f, "signalperiod", kwargs.signalperiod, 1)?;
    let [m, s, h] = compute_recurrence(f, inputs, &Macd::fixed(signal))?;
    into_struct(
        inputs[0].name().clone(),
        &[("macd", m), ("macdsignal", s), ("macdhist", h)],
    )
}

fn price_oscillator(
    f: &str,
    inputs: &[Series],
    kwargs: OscillatorKwargs,
    percent: bool,
) -> PolarsResult<Series> {
    let fast = check_period(f, "fastperiod", kwargs.fastperiod, 2)?;
    let slow = check_period(f, "slowperiod", kwargs.slowperiod, 2)?;
    let matype = check_matype(f, "matype", kwargs.matype)?;
    let [out] = compute(f, inputs, |[x]: [&[f64]; 1], [o]: [&mut [f64]; 1]| {
        momentum::price_oscillator(x, fast, slow, matype, percent, o)
    })?;
    Ok(out.into_series())
}

#[polars_expr(output_type=Float64)]
fn apo(inputs: &[Series], kwargs: OscillatorKwargs) -> PolarsResult<Series> {
    price_oscillator("apo", inputs, kwargs, false)
}

#[polars_expr(output_type=Float64)]
fn ppo(inputs: &[Series], kwargs: OscillatorKwargs) -> PolarsResult<Series> {
    price_oscillator("ppo", inputs, kwargs, true)
}
