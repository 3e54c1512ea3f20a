//! TA-Lib's candle settings: what each rule measures, over how many prior bars, and the factor applied.

use super::Ohlc;

/// Which part of a candle a [`CandleSetting`] measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeType {
    /// `|close - open|`.
    RealBody,
    /// `high - low`.
    HighLow,
    /// Upper plus lower shadow; its average is halved (the mean length of one shadow).
    Shadows,
}

/// One of TA-Lib's candle settings: what to measure, over how many prior bars, and the factor applied.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CandleSetting {
    pub range_type: RangeType,
    /// Prior bars averaged; 0 means "this bar's own range" (TA-Lib's convention).
    pub avg_period: usize,
    pub factor: f64,
}

const fn setting(range_type: RangeType, avg_period: usize, factor: f64) -> CandleSetting {
    CandleSetting {
        range_type,
        avg_period,
        factor,
    }
}

/// Real body longer than the average body of the last 10 bars.
pub const BODY_LONG: CandleSetting = setting(RangeType::RealBody, 10, 1.0);
/// Real body longer than 3 times the average body of the last 10 bars.
pub const BODY_VERY_LONG: CandleSetting = setting(RangeType::RealBody, 10, 3.0);
/// Real body shorter than the average body of the last 10 bars.
pub const BODY_SHORT: CandleSetting = setting(RangeType::RealBody, 10, 1.0);
/// Real body within 10% of the average high-low range of the last 10 bars.
pub const BODY_DOJI: CandleSetting = setting(RangeType::HighLow, 10, 0.1);
/// Shadow longer than the bar's own real body.
pub const SHADOW_LONG: CandleSetting = setting(RangeType::RealBody, 0, 1.0);
/// Shadow longer than twice the bar's own real body.
pub const SHADOW_VERY_LONG: CandleSetting = setting(RangeType::RealBody, 0, 2.0);
/// Shadow shorter than half the average shadow sum of the last 10 bars.
pub const SHADOW_SHORT: CandleSetting = setting(RangeType::Shadows, 10, 1.0);
/// Shadow shorter than 10% of the average high-low range of the last 10 bars.
pub const SHADOW_VERY_SHORT: CandleSetting = setting(RangeType::HighLow, 10, 0.1);
/// Distance within 20% of the average high-low range of the last 5 bars.
pub const NEAR: CandleSetting = setting(RangeType::HighLow, 5, 0.2);
/// Distance beyond 60% of the average high-low range of the last 5 bars.
pub const FAR: CandleSetting = setting(RangeType::HighLow, 5, 0.6);
/// Distance within 5% of the average high-low range of the last 5 bars.
pub const EQUAL: CandleSetting = setting(RangeType::HighLow, 5, 0.05);

/// A candle setting known at compile time, so the kernels' range and average code folds to constants.
pub trait Setting {
    const SETTING: CandleSetting;
}

/// One marker type per setting, for [`super::Total`].
macro_rules! markers {
    ($($marker:ident => $setting:ident),* $(,)?) => {$(
        #[doc = concat!("Marker type of [`", stringify!($setting), "`].")]
        #[derive(Clone, Copy, Debug)]
        pub struct $marker;

        impl Setting for $marker {
            const SETTING: CandleSetting = $setting;
        }
    )*};
}

markers! {
    BodyLong => BODY_LONG,
    BodyVeryLong => BODY_VERY_LONG,
    BodyShort => BODY_SHORT,
    BodyDoji => BODY_DOJI,
    ShadowLong => SHADOW_LONG,
    ShadowVeryLong => SHADOW_VERY_LONG,
    ShadowShort => SHADOW_SHORT,
    ShadowVeryShort => SHADOW_VERY_SHORT,
    Near => NEAR,
    Far => FAR,
    Equal => EQUAL,
}

impl CandleSetting {
    /// The measured range of bar `i` (TA-Lib `TA_CANDLERANGE`).
    #[inline(always)]
    pub fn range(&self, bars: &Ohlc, i: usize) -> f64 {
        match self.range_type {
            RangeType::RealBody => bars.body(i),
            RangeType::HighLow => bars.high_low(i),
            RangeType::Shadows => bars.upper_shadow(i) + bars.lower_shadow(i),
        }
    }

    /// The threshold for bar `i` given the running `total` of prior ranges (TA-Lib `TA_CANDLEAVERAGE`).
    #[inline(always)]
    pub fn average(&self, total: f64, bars: &Ohlc, i: usize) -> f64 {
        if self.avg_period != 0 {
            self.average_of_total(total)
        } else {
            self.threshold(self.range(bars, i))
        }
    }

    /// The threshold for a setting that averages prior bars, from their running `total` alone.
    #[inline(always)]
    pub fn average_of_total(&self, total: f64) -> f64 {
        debug_assert!(self.avg_period != 0);
        self.threshold(total / self.avg_period as f64)
    }

    /// The factor applied to a mean range (halved for [`RangeType::Shadows`]).
    #[inline(always)]
    fn threshold(&self, mean: f64) -> f64 {
        let divisor = if self.range_type == RangeType::Shadows {
            2.0
        } else {
            1.0
        };
        self.factor * mean / divisor
    }
}

/// Bars before the first output: the longest averaging period plus the `prior_candles` a pattern looks back.
pub const fn lookback(settings: &[CandleSetting], prior_candles: usize) -> usize {
    let mut longest = 0;
    let mut k = 0;
    while k < settings.len() {
        if settings[k].avg_period > longest {
            longest = settings[k].avg_period;
        }
        k += 1;
    }
    longest + prior_candles
}

#[cfg(test)]
mod tests {
    use super::super::bars_from;
    use super::*;

    #[test]
    fn settings_are_talibs_defaults() {
        assert_eq!(BODY_LONG, setting(RangeType::RealBody, 10, 1.0));
        assert_eq!(BODY_VERY_LONG.factor, 3.0);
        assert_eq!(BODY_DOJI, setting(RangeType::HighLow, 10, 0.1));
        assert_eq!(SHADOW_LONG.avg_period, 0);
        assert_eq!(SHADOW_VERY_LONG, setting(RangeType::RealBody, 0, 2.0));
        assert_eq!(SHADOW_SHORT.range_type, RangeType::Shadows);
        assert_eq!(SHADOW_VERY_SHORT, setting(RangeType::HighLow, 10, 0.1));
        assert_eq!((NEAR.avg_period, NEAR.factor), (5, 0.2));
        assert_eq!((FAR.avg_period, FAR.factor), (5, 0.6));
        assert_eq!((EQUAL.avg_period, EQUAL.factor), (5, 0.05));
        assert_eq!(<Near as Setting>::SETTING, NEAR);
    }

    #[test]
    fn lookback_is_longest_period_plus_prior_candles() {
        assert_eq!(
            lookback(&[BODY_SHORT, SHADOW_LONG, SHADOW_VERY_SHORT, NEAR], 1),
            11
        );
        assert_eq!(lookback(&[], 2), 2);
        assert_eq!(lookback(&[SHADOW_LONG], 0), 0);
    }

    #[test]
    fn ranges_measure_body_high_low_and_shadows() {
        // open 10, high 15, low 8, close 12: body 2, upper 3, lower 2, range 7.
        let cols = bars_from(&[(10.0, 15.0, 8.0, 12.0), (12.0, 13.0, 7.0, 9.0)]);
        let bars = Ohlc::new(&cols[0], &cols[1], &cols[2], &cols[3]);
        assert_eq!(BODY_LONG.range(&bars, 0), 2.0);
        assert_eq!(BODY_DOJI.range(&bars, 0), 7.0);
        assert_eq!(SHADOW_SHORT.range(&bars, 0), 5.0);
        // A black bar: upper shadow from the open, lower from the close.
        assert_eq!((bars.upper_shadow(1), bars.lower_shadow(1)), (1.0, 2.0));
        assert_eq!((bars.color(0), bars.color(1)), (1, -1));
    }

    #[test]
    fn average_with_zero_period_uses_the_bars_own_range_and_shadows_are_halved() {
        let cols = bars_from(&[(10.0, 15.0, 8.0, 12.0)]);
        let bars = Ohlc::new(&cols[0], &cols[1], &cols[2], &cols[3]);
        assert_eq!(SHADOW_VERY_LONG.average(123.0, &bars, 0), 4.0);
        assert_eq!(SHADOW_SHORT.average(30.0, &bars, 0), 1.5);
        assert_eq!(NEAR.average(10.0, &bars, 0), 0.2 * 2.0);
    }
}
