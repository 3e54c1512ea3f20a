//! Thin `#[polars_expr]` wrappers: check the TA-Lib parameters, hand the columns to a kernel through
//! `columns::compute` (casting, missing bars, the `by` segments, no panics), wrap the result.
#![allow(clippy::unused_unit)]

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use serde::Deserialize;

use crate::columns::{compute, compute_recurrence, compute_split, into_struct, struct_field};
use crate::directional;
use crate::momentum::Macd;
use crate::overlap;
use crate::params::{check_finite, check_matype, check_period};
use crate::segments::CheckedRun;
use crate::{bands, momentum, oscillators, stochastic, volatility, volume};

/// Keyword arguments of single-period indicators (`timeperiod` as in TA-Lib).
#[derive(Deserialize)]
struct TimePeriodKwargs {
    timeperiod: i64,
}

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
struct BbandsKwargs {
    timeperiod: i64,
    nbdevup: f64,
    nbdevdn: f64,
    matype: i64,
}

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

#[derive(Deserialize)]
struct OscillatorKwargs {
    fastperiod: i64,
    slowperiod: i64,
    matype: i64,
}

#[derive(Deserialize)]
struct UltoscKwargs {
    timeperiod1: i64,
    timeperiod2: i64,
    timeperiod3: i64,
}

#[derive(Deserialize)]
struct AdoscKwargs {
    fastperiod: i64,
    slowperiod: i64,
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

recurrence_period!(
    sma,
    1,
    overlap::sma,
    |period| overlap::Sma { period },
    [x; 1]
);
recurrence_period!(ema, 1, overlap::ema, overlap::Ema::new, [x; 1]);
recurrence_period!(rsi, 2, momentum::rsi, momentum::Rsi::new, [x; 1]);
recurrence_period!(adx, 2, directional::adx, directional::Adx::new, [h, l, c; 3]);
recurrence_period!(atr, 1, volatility::atr, |p| volatility::Atr::new(p, false), [h, l, c; 3]);
recurrence_period!(natr, 1, volatility::natr, |p| volatility::Atr::new(p, true), [h, l, c; 3]);
single_period!(wma, 1, overlap::wma);
single_period!(dema, 1, overlap::dema);
single_period!(tema, 1, overlap::tema);
single_period!(trima, 1, overlap::trima);
single_period!(kama, 1, overlap::kama);
single_period!(mom, 1, momentum::mom);
single_period!(roc, 1, momentum::roc);

hlc_period!(willr, 2, stochastic::willr);
hlc_period!(cci, 2, oscillators::cci);
hlc_period!(plus_di, 1, directional::plus_di);
hlc_period!(minus_di, 1, directional::minus_di);

fn bbands_fields(input_fields: &[Field]) -> PolarsResult<Field> {
    struct_field(input_fields, &["upperband", "middleband", "lowerband"])
}

#[polars_expr(output_type_func=bbands_fields)]
fn bbands(inputs: &[Series], kwargs: BbandsKwargs) -> PolarsResult<Series> {
    let f = "bbands";
    let period = check_period(f, "timeperiod", kwargs.timeperiod, 2)?;
    let up = check_finite(f, "nbdevup", kwargs.nbdevup)?;
    let dn = check_finite(f, "nbdevdn", kwargs.nbdevdn)?;
    let matype = check_matype(f, "matype", kwargs.matype)?;
    let params = bands::Bands {
        period,
        nbdevup: up,
        nbdevdn: dn,
        matype,
    };
    let [u, m, l] = compute_split(
        f,
        inputs,
        |[x]: [&[f64]; 1], outs: [&mut [f64]; 3]| bands::bbands(x, params, outs),
        |[x]: [&[f64]; 1], outs: [&mut [f64]; 3]| {
            if bands::bbands_split(x, params, outs) {
                CheckedRun::Done(None)
            } else {
                CheckedRun::MissingBar
            }
        },
    )?;
    into_struct(
        inputs[0].name().clone(),
        &[("upperband", u), ("middleband", m), ("lowerband", l)],
    )
}

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

#[polars_expr(output_type=Float64)]
fn trange(inputs: &[Series]) -> PolarsResult<Series> {
    let [out] = compute(
        "trange",
        inputs,
        |[h, l, c]: [&[f64]; 3], [o]: [&mut [f64]; 1]| volatility::trange(h, l, c, o),
    )?;
    Ok(out.into_series())
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
