//! Doji family: candles whose open and close are (nearly) equal.

use super::{lookback, scan, BodyDoji, Ohlc, ShadowLong, ShadowVeryShort, Total};
use super::{BODY_DOJI, SHADOW_LONG, SHADOW_VERY_SHORT};

/// Totals of the doji with a shadow condition.
type ShadowedDoji = (Total<BodyDoji, 0>, Total<ShadowVeryShort, 0>);

/// Lookback of [`doji`].
pub const DOJI_LOOKBACK: usize = lookback(&[BODY_DOJI], 0);
/// Lookback of [`dragonfly_doji`] and [`gravestone_doji`].
pub const SHADOWED_DOJI_LOOKBACK: usize = lookback(&[BODY_DOJI, SHADOW_VERY_SHORT], 0);
/// Lookback of [`long_legged_doji`].
pub const LONG_LEGGED_DOJI_LOOKBACK: usize = lookback(&[BODY_DOJI, SHADOW_LONG], 0);

/// `CDLDOJI`: a body no larger than the doji threshold; always 100 (it marks indecision, not a direction).
pub fn doji(bars: &Ohlc, out: &mut [i32]) {
    scan(
        bars,
        out,
        DOJI_LOOKBACK,
        #[inline(always)]
        |i, doji: &Total<BodyDoji, 0>| {
            if bars.body(i) <= doji.average(bars, i) {
                100
            } else {
                0
            }
        },
    );
}

/// `CDLDRAGONFLYDOJI`: a doji at the high of the bar with a lower shadow that is not very short; 100.
pub fn dragonfly_doji(bars: &Ohlc, out: &mut [i32]) {
    scan(
        bars,
        out,
        SHADOWED_DOJI_LOOKBACK,
        #[inline(always)]
        |i, (doji, very_short): &ShadowedDoji| {
            let very_short = very_short.average(bars, i);
            if bars.body(i) <= doji.average(bars, i)
                && bars.upper_shadow(i) < very_short
                && bars.lower_shadow(i) > very_short
            {
                100
            } else {
                0
            }
        },
    );
}

/// `CDLGRAVESTONEDOJI`: a doji at the low of the bar with an upper shadow that is not very short; 100.
pub fn gravestone_doji(bars: &Ohlc, out: &mut [i32]) {
    scan(
        bars,
        out,
        SHADOWED_DOJI_LOOKBACK,
        #[inline(always)]
        |i, (doji, very_short): &ShadowedDoji| {
            let very_short = very_short.average(bars, i);
            if bars.body(i) <= doji.average(bars, i)
                && bars.lower_shadow(i) < very_short
                && bars.upper_shadow(i) > very_short
            {
                100
            } else {
                0
            }
        },
    );
}

/// `CDLLONGLEGGEDDOJI`: a doji with at least one shadow longer than its body; 100.
pub fn long_legged_doji(bars: &Ohlc, out: &mut [i32]) {
    scan(
        bars,
        out,
        LONG_LEGGED_DOJI_LOOKBACK,
        #[inline(always)]
        |i, (doji, long): &(Total<BodyDoji, 0>, Total<ShadowLong, 0>)| {
            let long = long.average(bars, i);
            if bars.body(i) <= doji.average(bars, i)
                && (bars.lower_shadow(i) > long || bars.upper_shadow(i) > long)
            {
                100
            } else {
                0
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::super::bars_from;
    use super::*;

    fn run(kernel: fn(&Ohlc, &mut [i32]), last: (f64, f64, f64, f64)) -> i32 {
        let mut rows = vec![(10.0, 11.5, 9.5, 11.0); 10];
        rows.push(last);
        let cols = bars_from(&rows);
        let mut out = vec![0; rows.len()];
        kernel(&Ohlc::new(&cols[0], &cols[1], &cols[2], &cols[3]), &mut out);
        out[10]
    }

    #[test]
    fn lookbacks_match_talib() {
        assert_eq!(
            (
                DOJI_LOOKBACK,
                SHADOWED_DOJI_LOOKBACK,
                LONG_LEGGED_DOJI_LOOKBACK
            ),
            (10, 10, 10)
        );
    }

    #[test]
    fn doji_is_a_body_within_a_tenth_of_the_average_range() {
        // Average range 2.0, so the doji threshold is 0.2 (inclusive).
        assert_eq!(run(doji, (10.0, 10.5, 9.5, 10.2)), 100);
        assert_eq!(run(doji, (10.0, 10.5, 9.5, 10.25)), 0);
    }

    #[test]
    fn dragonfly_and_gravestone_sit_at_opposite_ends() {
        let dragonfly = (10.0, 10.05, 8.0, 10.0);
        let gravestone = (10.0, 12.0, 9.95, 10.0);
        assert_eq!(run(dragonfly_doji, dragonfly), 100);
        assert_eq!(run(gravestone_doji, dragonfly), 0);
        assert_eq!(run(gravestone_doji, gravestone), 100);
        assert_eq!(run(dragonfly_doji, gravestone), 0);
        assert_eq!(run(long_legged_doji, gravestone), 100);
    }
}
