//! Two-candle reversal patterns: engulfing, harami, piercing, dark cloud cover and kicking.

use super::{lookback, scan, BodyDoji, BodyLong, BodyShort, Ohlc, ShadowVeryShort, Total};
use super::{BODY_DOJI, BODY_LONG, BODY_SHORT, SHADOW_VERY_SHORT};

/// Totals of two marubozu: body and shadows of the first (offset 1) and of the second candle.
type KickingTotals = (
    Total<BodyLong, 1>,
    Total<ShadowVeryShort, 1>,
    Total<BodyLong, 0>,
    Total<ShadowVeryShort, 0>,
);

/// Lookback of [`engulfing`].
pub const ENGULFING_LOOKBACK: usize = lookback(&[], 2);
/// Lookback of [`harami`].
pub const HARAMI_LOOKBACK: usize = lookback(&[BODY_LONG, BODY_SHORT], 1);
/// Lookback of [`harami_cross`].
pub const HARAMI_CROSS_LOOKBACK: usize = lookback(&[BODY_LONG, BODY_DOJI], 1);
/// Lookback of [`piercing`] and [`dark_cloud_cover`].
pub const PIERCING_LOOKBACK: usize = lookback(&[BODY_LONG], 1);
/// Lookback of [`kicking`].
pub const KICKING_LOOKBACK: usize = lookback(&[BODY_LONG, SHADOW_VERY_SHORT], 1);

/// `CDLENGULFING`: a body of the opposite colour that engulfs the prior body; ±100, or ±80 when the two
/// bodies share one end (TA-Lib 0.8's non-strict case). The sign is the second candle's colour.
///
/// The tests use `&` and `|` rather than `&&` and `||`: all of them are cheap, and evaluating every one
/// avoids unpredictable branches (the result is the same).
pub fn engulfing(bars: &Ohlc, out: &mut [i32]) {
    let (o, c) = (bars.open, bars.close);
    scan(
        bars,
        out,
        ENGULFING_LOOKBACK,
        #[inline(always)]
        |i, (): &()| {
            let (white, prior_white) = (bars.is_white(i), bars.is_white(i - 1));
            let white_engulfs_black = white
                & !prior_white
                & ((c[i] >= o[i - 1]) & (o[i] < c[i - 1]) | (c[i] > o[i - 1]) & (o[i] <= c[i - 1]));
            let black_engulfs_white = !white
                & prior_white
                & ((o[i] >= c[i - 1]) & (c[i] < o[i - 1]) | (o[i] > c[i - 1]) & (c[i] <= o[i - 1]));
            let strict = (o[i] != c[i - 1]) & (c[i] != o[i - 1]);
            let size = if strict { 100 } else { 80 };
            i32::from(white_engulfs_black | black_engulfs_white) * bars.color(i) * size
        },
    );
}

/// The harami test shared by [`harami`] and [`harami_cross`]: ±100 when the second body sits strictly
/// inside the first, ±80 when they share one end; the sign is opposite to the first candle's colour.
#[inline]
fn inside_first_body(bars: &Ohlc, i: usize) -> i32 {
    let (top, bottom) = (bars.body_top(i), bars.body_bottom(i));
    let (prior_top, prior_bottom) = (bars.body_top(i - 1), bars.body_bottom(i - 1));
    if top < prior_top && bottom > prior_bottom {
        -bars.color(i - 1) * 100
    } else if top <= prior_top && bottom >= prior_bottom {
        -bars.color(i - 1) * 80
    } else {
        0
    }
}

/// `CDLHARAMI`: a long body followed by a short body inside it.
pub fn harami(bars: &Ohlc, out: &mut [i32]) {
    scan(
        bars,
        out,
        HARAMI_LOOKBACK,
        #[inline(always)]
        |i, (long, short): &(Total<BodyLong, 1>, Total<BodyShort, 0>)| {
            if bars.body(i - 1) > long.average(bars, i) && bars.body(i) <= short.average(bars, i) {
                inside_first_body(bars, i)
            } else {
                0
            }
        },
    );
}

/// `CDLHARAMICROSS`: a long body followed by a doji inside it.
pub fn harami_cross(bars: &Ohlc, out: &mut [i32]) {
    scan(
        bars,
        out,
        HARAMI_CROSS_LOOKBACK,
        #[inline(always)]
        |i, (long, doji): &(Total<BodyLong, 1>, Total<BodyDoji, 0>)| {
            if bars.body(i - 1) > long.average(bars, i) && bars.body(i) <= doji.average(bars, i) {
                inside_first_body(bars, i)
            } else {
                0
            }
        },
    );
}

/// `CDLPIERCING`: a long black candle, then a long white one opening below its low and closing above its
/// midpoint but inside its body; 100.
pub fn piercing(bars: &Ohlc, out: &mut [i32]) {
    let (o, l, c) = (bars.open, bars.low, bars.close);
    scan(
        bars,
        out,
        PIERCING_LOOKBACK,
        #[inline(always)]
        |i, (first_long, second_long): &(Total<BodyLong, 1>, Total<BodyLong, 0>)| {
            if !bars.is_white(i - 1)
                && bars.body(i - 1) > first_long.average(bars, i)
                && bars.is_white(i)
                && bars.body(i) > second_long.average(bars, i)
                && o[i] < l[i - 1]
                && c[i] < o[i - 1]
                && c[i] > c[i - 1] + bars.body(i - 1) * 0.5
            {
                100
            } else {
                0
            }
        },
    );
}

/// `CDLDARKCLOUDCOVER`: a long white candle, then a black one opening above its high and closing inside its
/// body, more than `penetration` (a fraction of that body) below its close; -100.
pub fn dark_cloud_cover(bars: &Ohlc, penetration: f64, out: &mut [i32]) {
    let (o, h, c) = (bars.open, bars.high, bars.close);
    scan(
        bars,
        out,
        PIERCING_LOOKBACK,
        #[inline(always)]
        |i, long: &Total<BodyLong, 1>| {
            if bars.is_white(i - 1)
                && bars.body(i - 1) > long.average(bars, i)
                && !bars.is_white(i)
                && o[i] > h[i - 1]
                && c[i] > o[i - 1]
                && c[i] < c[i - 1] - bars.body(i - 1) * penetration
            {
                -100
            } else {
                0
            }
        },
    );
}

/// `CDLKICKING`: two marubozu of opposite colours with a gap between them; the sign is the second colour.
pub fn kicking(bars: &Ohlc, out: &mut [i32]) {
    scan(
        bars,
        out,
        KICKING_LOOKBACK,
        #[inline(always)]
        |i, (long1, short1, long2, short2): &KickingTotals| {
            let (very_short1, very_short2) = (short1.average(bars, i), short2.average(bars, i));
            let gapped = !bars.is_white(i - 1) && bars.gap_up(i, i - 1)
                || bars.is_white(i - 1) && bars.gap_down(i, i - 1);
            if bars.color(i - 1) == -bars.color(i)
                && bars.body(i - 1) > long1.average(bars, i)
                && bars.upper_shadow(i - 1) < very_short1
                && bars.lower_shadow(i - 1) < very_short1
                && bars.body(i) > long2.average(bars, i)
                && bars.upper_shadow(i) < very_short2
                && bars.lower_shadow(i) < very_short2
                && gapped
            {
                bars.color(i) * 100
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

    fn run_rows(kernel: &dyn Fn(&Ohlc, &mut [i32]), tail: &[(f64, f64, f64, f64)]) -> i32 {
        let mut rows = vec![(10.0, 11.5, 9.5, 11.0); 10];
        rows.extend_from_slice(tail);
        let cols = bars_from(&rows);
        let mut out = vec![0; rows.len()];
        kernel(&Ohlc::new(&cols[0], &cols[1], &cols[2], &cols[3]), &mut out);
        out[rows.len() - 1]
    }

    #[test]
    fn lookbacks_match_talib() {
        let all = (
            ENGULFING_LOOKBACK,
            HARAMI_LOOKBACK,
            HARAMI_CROSS_LOOKBACK,
            PIERCING_LOOKBACK,
            KICKING_LOOKBACK,
        );
        assert_eq!(all, (2, 11, 11, 11, 11));
    }

    #[test]
    fn engulfing_is_100_when_strict_and_80_when_one_end_matches() {
        let black = (11.0, 11.2, 9.8, 10.0);
        assert_eq!(run_rows(&engulfing, &[black, (9.5, 11.8, 9.4, 11.5)]), 100);
        assert_eq!(run_rows(&engulfing, &[black, (10.0, 11.8, 9.4, 11.5)]), 80);
        let white = (10.0, 11.2, 9.8, 11.0);
        assert_eq!(run_rows(&engulfing, &[white, (11.5, 11.6, 9.4, 9.5)]), -100);
        assert_eq!(run_rows(&engulfing, &[white, (10.5, 11.6, 9.4, 10.2)]), 0);
    }

    #[test]
    fn harami_sign_is_opposite_to_the_first_candle() {
        let long_black = (13.0, 13.1, 9.9, 10.0);
        assert_eq!(
            run_rows(&harami, &[long_black, (11.0, 11.6, 10.9, 11.5)]),
            100
        );
        assert_eq!(
            run_rows(&harami, &[long_black, (10.0, 11.6, 9.9, 10.5)]),
            80
        );
        assert_eq!(
            run_rows(&harami_cross, &[long_black, (11.0, 11.6, 10.9, 11.1)]),
            100
        );
    }

    #[test]
    fn piercing_and_dark_cloud_cover_mirror_each_other() {
        let long_black = (13.0, 13.1, 10.9, 11.0);
        assert_eq!(
            run_rows(&piercing, &[long_black, (10.5, 12.6, 10.4, 12.5)]),
            100
        );
        let long_white = (11.0, 13.1, 10.9, 13.0);
        let cover = (13.5, 13.6, 11.4, 11.5);
        assert_eq!(
            run_rows(&|b, o| dark_cloud_cover(b, 0.5, o), &[long_white, cover]),
            -100
        );
        assert_eq!(
            run_rows(&|b, o| dark_cloud_cover(b, 0.8, o), &[long_white, cover]),
            0
        );
    }

    #[test]
    fn kicking_takes_the_second_colour() {
        let black_marubozu = (13.0, 13.0, 11.0, 11.0);
        let white_marubozu = (13.5, 15.5, 13.5, 15.5);
        assert_eq!(run_rows(&kicking, &[black_marubozu, white_marubozu]), 100);
    }
}
