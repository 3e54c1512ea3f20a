//! Hammer family: a small real body at one end of the bar and one long shadow.
//!
//! The rules test with `&` rather than `&&` and pick the result with `select_unpredictable`: every test
//! is evaluated, which gives the same result without the unpredictable branches of stopping at the first
//! failed one (the compiler turns a plain `if` back into such branches).

use std::hint::select_unpredictable;

use super::{lookback, scan, BodyShort, Near, Ohlc, ShadowLong, ShadowVeryShort, Total};
use super::{BODY_SHORT, NEAR, SHADOW_LONG, SHADOW_VERY_SHORT};

/// Lookback of [`hammer`] and [`hanging_man`] (they compare with the prior bar's extremes).
pub const HAMMER_LOOKBACK: usize = lookback(&[BODY_SHORT, SHADOW_LONG, SHADOW_VERY_SHORT, NEAR], 1);
/// Lookback of [`inverted_hammer`] and [`shooting_star`] (they gap away from the prior body).
pub const INVERTED_HAMMER_LOOKBACK: usize =
    lookback(&[BODY_SHORT, SHADOW_LONG, SHADOW_VERY_SHORT], 1);

/// Short body, long and very short shadows, and the near distance from the prior bar.
type HammerTotals = (
    Total<BodyShort, 0>,
    Total<ShadowLong, 0>,
    Total<ShadowVeryShort, 0>,
    Total<Near, 1>,
);
/// Short body and long and very short shadows.
type InvertedTotals = (
    Total<BodyShort, 0>,
    Total<ShadowLong, 0>,
    Total<ShadowVeryShort, 0>,
);

/// `CDLHAMMER`: small body, long lower shadow, (almost) no upper shadow, body near or below the prior
/// low; 100.
pub fn hammer(bars: &Ohlc, out: &mut [i32]) {
    scan(
        bars,
        out,
        HAMMER_LOOKBACK,
        #[inline(always)]
        |i, (short, long, very_short, near): &HammerTotals| {
            let shape = (bars.body(i) < short.average(bars, i))
                & (bars.lower_shadow(i) > long.average(bars, i))
                & (bars.upper_shadow(i) < very_short.average(bars, i))
                & (bars.body_bottom(i) <= bars.low[i - 1] + near.average(bars, i));
            select_unpredictable(shape, 100, 0)
        },
    );
}

/// `CDLHANGINGMAN`: the hammer shape with its body near or above the prior high; -100.
pub fn hanging_man(bars: &Ohlc, out: &mut [i32]) {
    scan(
        bars,
        out,
        HAMMER_LOOKBACK,
        #[inline(always)]
        |i, (short, long, very_short, near): &HammerTotals| {
            let shape = (bars.body(i) < short.average(bars, i))
                & (bars.lower_shadow(i) > long.average(bars, i))
                & (bars.upper_shadow(i) < very_short.average(bars, i))
                & (bars.body_bottom(i) >= bars.high[i - 1] - near.average(bars, i));
            select_unpredictable(shape, -100, 0)
        },
    );
}

/// `CDLINVERTEDHAMMER`: small body gapping down from the prior body, long upper shadow, (almost) no lower
/// shadow; 100.
pub fn inverted_hammer(bars: &Ohlc, out: &mut [i32]) {
    scan(
        bars,
        out,
        INVERTED_HAMMER_LOOKBACK,
        #[inline(always)]
        |i, (short, long, very_short): &InvertedTotals| {
            let shape = bars.body_gap_down(i, i - 1)
                & (bars.body(i) < short.average(bars, i))
                & (bars.upper_shadow(i) > long.average(bars, i))
                & (bars.lower_shadow(i) < very_short.average(bars, i));
            select_unpredictable(shape, 100, 0)
        },
    );
}

/// `CDLSHOOTINGSTAR`: the inverted-hammer shape gapping up from the prior body; -100.
pub fn shooting_star(bars: &Ohlc, out: &mut [i32]) {
    scan(
        bars,
        out,
        INVERTED_HAMMER_LOOKBACK,
        #[inline(always)]
        |i, (short, long, very_short): &InvertedTotals| {
            let shape = bars.body_gap_up(i, i - 1)
                & (bars.body(i) < short.average(bars, i))
                & (bars.upper_shadow(i) > long.average(bars, i))
                & (bars.lower_shadow(i) < very_short.average(bars, i));
            select_unpredictable(shape, -100, 0)
        },
    );
}

#[cfg(test)]
mod tests {
    use super::super::bars_from;
    use super::*;

    fn run(
        kernel: fn(&Ohlc, &mut [i32]),
        prior: (f64, f64, f64, f64),
        last: (f64, f64, f64, f64),
    ) -> i32 {
        let mut rows = vec![(10.0, 11.5, 9.5, 11.0); 10];
        rows.push(prior);
        rows.push(last);
        let cols = bars_from(&rows);
        let mut out = vec![0; rows.len()];
        kernel(&Ohlc::new(&cols[0], &cols[1], &cols[2], &cols[3]), &mut out);
        out[11]
    }

    #[test]
    fn lookbacks_match_talib() {
        assert_eq!((HAMMER_LOOKBACK, INVERTED_HAMMER_LOOKBACK), (11, 11));
    }

    #[test]
    fn hammer_below_the_prior_low_and_hanging_man_above_the_prior_high() {
        let hammer_bar = (9.0, 9.3, 7.0, 9.3);
        assert_eq!(run(hammer, (10.0, 11.5, 9.5, 11.0), hammer_bar), 100);
        assert_eq!(run(hanging_man, (10.0, 11.5, 9.5, 11.0), hammer_bar), 0);
        let hanging = (12.0, 12.3, 10.0, 12.3);
        assert_eq!(run(hanging_man, (10.0, 11.5, 9.5, 11.0), hanging), -100);
    }

    #[test]
    fn inverted_hammer_gaps_down_and_shooting_star_gaps_up() {
        let prior = (10.0, 11.5, 9.5, 11.0);
        assert_eq!(run(inverted_hammer, prior, (9.0, 11.0, 9.0, 9.3)), 100);
        assert_eq!(run(shooting_star, prior, (12.0, 14.0, 12.0, 12.3)), -100);
        assert_eq!(run(shooting_star, prior, (9.0, 11.0, 9.0, 9.3)), 0);
    }
}
