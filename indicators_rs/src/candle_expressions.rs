//! Thin `#[polars_expr]` wrappers for the candlestick patterns: each names its kernel from `candles` and its
//! lookback; `candle_columns` checks the columns, walks the runs of valid bars and builds the Int32 result.
#![allow(clippy::unused_unit)]

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;
use serde::Deserialize;

use crate::candle_columns::apply_pattern;
use crate::candles::{body, doji, hammer, star, three_candle, two_candle};
use crate::params::check_penetration;

/// Keyword arguments of the patterns with a `penetration` (fraction of the first real body).
#[derive(Deserialize)]
struct PenetrationKwargs {
    penetration: f64,
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
