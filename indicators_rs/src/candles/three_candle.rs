//! Three-candle continuation and confirmation patterns: three white soldiers, three black crows, three
//! inside and three outside.

use super::{lookback, scan, BodyLong, BodyShort, Far, Near, Ohlc, ShadowVeryShort, Total};
use super::{BODY_LONG, BODY_SHORT, FAR, NEAR, SHADOW_VERY_SHORT};

/// Very short upper shadow of each soldier, near and far distances of the first two, and the third's body.
type SoldierTotals = (
    Total<ShadowVeryShort, 2>,
    Total<ShadowVeryShort, 1>,
    Total<ShadowVeryShort, 0>,
    Total<Near, 2>,
    Total<Near, 1>,
    Total<Far, 2>,
    Total<Far, 1>,
    Total<BodyShort, 0>,
);
/// Very short lower shadow of each crow.
type CrowTotals = (
    Total<ShadowVeryShort, 2>,
    Total<ShadowVeryShort, 1>,
    Total<ShadowVeryShort, 0>,
);

/// Lookback of [`three_white_soldiers`].
pub const THREE_WHITE_SOLDIERS_LOOKBACK: usize =
    lookback(&[SHADOW_VERY_SHORT, BODY_SHORT, FAR, NEAR], 2);
/// Lookback of [`three_black_crows`] (it also looks at the white candle before the crows).
pub const THREE_BLACK_CROWS_LOOKBACK: usize = lookback(&[SHADOW_VERY_SHORT], 3);
/// Lookback of [`three_inside`].
pub const THREE_INSIDE_LOOKBACK: usize = lookback(&[BODY_LONG, BODY_SHORT], 2);
/// Lookback of [`three_outside`].
pub const THREE_OUTSIDE_LOOKBACK: usize = lookback(&[], 3);

/// `CDL3WHITESOLDIERS`: three white candles with rising closes and (almost) no upper shadows, each opening
/// within or near the prior body and not far shorter than it; 100.
pub fn three_white_soldiers(bars: &Ohlc, out: &mut [i32]) {
    let (o, c) = (bars.open, bars.close);
    scan(
        bars,
        out,
        THREE_WHITE_SOLDIERS_LOOKBACK,
        #[inline(always)]
        |i, totals: &SoldierTotals| {
            let (short2, short1, short0, near2, near1, far2, far1, body_short) = totals;
            if bars.is_white(i - 2)
                && bars.upper_shadow(i - 2) < short2.average(bars, i)
                && bars.is_white(i - 1)
                && bars.upper_shadow(i - 1) < short1.average(bars, i)
                && bars.is_white(i)
                && bars.upper_shadow(i) < short0.average(bars, i)
                && c[i] > c[i - 1]
                && c[i - 1] > c[i - 2]
                && o[i - 1] > o[i - 2]
                && o[i - 1] <= c[i - 2] + near2.average(bars, i)
                && o[i] > o[i - 1]
                && o[i] <= c[i - 1] + near1.average(bars, i)
                && bars.body(i - 1) > bars.body(i - 2) - far2.average(bars, i)
                && bars.body(i) > bars.body(i - 1) - far1.average(bars, i)
                && bars.body(i) > body_short.average(bars, i)
            {
                100
            } else {
                0
            }
        },
    );
}

/// `CDL3BLACKCROWS`: after a white candle, three declining black candles with (almost) no lower shadows,
/// each opening inside the prior body; -100.
pub fn three_black_crows(bars: &Ohlc, out: &mut [i32]) {
    let (o, h, c) = (bars.open, bars.high, bars.close);
    scan(
        bars,
        out,
        THREE_BLACK_CROWS_LOOKBACK,
        #[inline(always)]
        |i, (short2, short1, short0): &CrowTotals| {
            if bars.is_white(i - 3)
                && !bars.is_white(i - 2)
                && !bars.is_white(i - 1)
                && !bars.is_white(i)
                && o[i - 1] < o[i - 2]
                && o[i - 1] > c[i - 2]
                && o[i] < o[i - 1]
                && o[i] > c[i - 1]
                && h[i - 3] > c[i - 2]
                && c[i - 2] > c[i - 1]
                && c[i - 1] > c[i]
                && bars.lower_shadow(i - 2) < short2.average(bars, i)
                && bars.lower_shadow(i - 1) < short1.average(bars, i)
                && bars.lower_shadow(i) < short0.average(bars, i)
            {
                -100
            } else {
                0
            }
        },
    );
}

/// `CDL3INSIDE`: a harami (long body, short body inside it) confirmed by a third candle closing beyond the
/// first open; 100 for three inside up, -100 for three inside down.
pub fn three_inside(bars: &Ohlc, out: &mut [i32]) {
    let (o, c) = (bars.open, bars.close);
    scan(
        bars,
        out,
        THREE_INSIDE_LOOKBACK,
        #[inline(always)]
        |i, (long, short): &(Total<BodyLong, 2>, Total<BodyShort, 1>)| {
            let closes_out = bars.is_white(i - 2) && !bars.is_white(i) && c[i] < o[i - 2]
                || !bars.is_white(i - 2) && bars.is_white(i) && c[i] > o[i - 2];
            if bars.body_top(i - 1) < bars.body_top(i - 2)
                && bars.body_bottom(i - 1) > bars.body_bottom(i - 2)
                && closes_out
                && bars.body(i - 2) > long.average(bars, i)
                && bars.body(i - 1) <= short.average(bars, i)
            {
                -bars.color(i - 2) * 100
            } else {
                0
            }
        },
    );
}

/// `CDL3OUTSIDE`: an engulfing pair confirmed by a third candle closing further the same way; 100 for three
/// outside up, -100 for three outside down.
pub fn three_outside(bars: &Ohlc, out: &mut [i32]) {
    let (o, c) = (bars.open, bars.close);
    scan(
        bars,
        out,
        THREE_OUTSIDE_LOOKBACK,
        #[inline(always)]
        |i, (): &()| {
            let up = bars.is_white(i - 1)
                && !bars.is_white(i - 2)
                && c[i - 1] > o[i - 2]
                && o[i - 1] < c[i - 2]
                && c[i] > c[i - 1];
            let down = !bars.is_white(i - 1)
                && bars.is_white(i - 2)
                && o[i - 1] > c[i - 2]
                && c[i - 1] < o[i - 2]
                && c[i] < c[i - 1];
            if up || down {
                bars.color(i - 1) * 100
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

    fn run(kernel: fn(&Ohlc, &mut [i32]), tail: &[(f64, f64, f64, f64)]) -> i32 {
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
            THREE_WHITE_SOLDIERS_LOOKBACK,
            THREE_BLACK_CROWS_LOOKBACK,
            THREE_INSIDE_LOOKBACK,
            THREE_OUTSIDE_LOOKBACK,
        );
        assert_eq!(all, (12, 13, 12, 3));
    }

    #[test]
    fn soldiers_and_crows() {
        let soldiers = [
            (11.0, 12.05, 10.9, 12.0),
            (11.9, 13.05, 11.8, 13.0),
            (12.9, 14.05, 12.8, 14.0),
        ];
        assert_eq!(run(three_white_soldiers, &soldiers), 100);
        let crows = [
            (10.0, 14.5, 9.9, 14.0),
            (14.0, 14.1, 12.95, 13.0),
            (13.5, 13.6, 11.95, 12.0),
            (12.5, 12.6, 10.95, 11.0),
        ];
        assert_eq!(run(three_black_crows, &crows), -100);
    }

    #[test]
    fn three_inside_and_outside_take_the_direction_of_the_confirmation() {
        let inside_up = [
            (14.0, 14.1, 11.9, 12.0),
            (12.5, 13.1, 12.4, 13.0),
            (13.0, 14.6, 12.9, 14.5),
        ];
        assert_eq!(run(three_inside, &inside_up), 100);
        let outside_down = [
            (11.0, 12.1, 10.9, 12.0),
            (12.5, 12.6, 10.4, 10.5),
            (10.5, 10.6, 9.9, 10.0),
        ];
        assert_eq!(run(three_outside, &outside_down), -100);
    }
}
