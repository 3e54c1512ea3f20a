//! Wrappers of the overlap studies: the moving averages and the Bollinger bands.

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use serde::Deserialize;

use super::TimePeriodKwargs;
use crate::columns::{compute, compute_recurrence, compute_split, into_struct, struct_field};
use crate::params::{check_finite, check_matype, check_period};
use crate::segments::CheckedRun;
use crate::{bands, overlap};

#[derive(Deserialize)]
struct BbandsKwargs {
    timeperiod: i64,
    nbdevup: f64,
    nbdevdn: f64,
    matype: i64,
}

recurrence_period!(
    sma,
    1,
    overlap::sma,
    |period| overlap::Sma { period },
    [x; 1]
);
recurrence_period!(ema, 1, overlap::ema, overlap::Ema::new, [x; 1]);
single_period!(wma, 1, overlap::wma);
single_period!(dema, 1, overlap::dema);
single_period!(tema, 1, overlap::tema);
single_period!(trima, 1, overlap::trima);
single_period!(kama, 1, overlap::kama);

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
