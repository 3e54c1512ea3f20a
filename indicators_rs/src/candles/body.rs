//! Single candles classified by their real body alone: marubozu and spinning top.
//!
//! The rules evaluate every test and pick the result without a branch, as in the hammer family.

use std::hint::select_unpredictable;

use super::{lookback, scan, BodyLong, BodyShort, Ohlc, ShadowVeryShort, Total};
use super::{BODY_LONG, BODY_SHORT, SHADOW_VERY_SHORT};

/// Lookback of [`marubozu`].
pub const MARUBOZU_LOOKBACK: usize = lookback(&[BODY_LONG, SHADOW_VERY_SHORT], 0);
/// Lookback of [`spinning_top`].
pub const SPINNING_TOP_LOOKBACK: usize = lookback(&[BODY_SHORT], 0);

/// `CDLMARUBOZU`: a long body with (almost) no shadows; 100 when white, -100 when black.
pub fn marubozu(bars: &Ohlc, out: &mut [i32]) {
    scan(
        bars,
        out,
        MARUBOZU_LOOKBACK,
        #[inline(always)]
        |i, (long, very_short): &(Total<BodyLong, 0>, Total<ShadowVeryShort, 0>)| {
            let very_short = very_short.average(bars, i);
            let shape = (bars.body(i) > long.average(bars, i))
                & (bars.upper_shadow(i) < very_short)
                & (bars.lower_shadow(i) < very_short);
            select_unpredictable(shape, bars.color(i) * 100, 0)
        },
    );
}

/// `CDLSPINNINGTOP`: a short body with both shadows longer than it; 100 when white, -100 when black (the
/// sign is the colour, not a direction).
pub fn spinning_top(bars: &Ohlc, out: &mut [i32]) {
    scan(
        bars,
        out,
        SPINNING_TOP_LOOKBACK,
        #[inline(always)]
        |i, short: &Total<BodyShort, 0>| {
            let body = bars.body(i);
            let shape = (bars.upper_shadow(i) > body)
                & (bars.lower_shadow(i) > body)
                & (body < short.average(bars, i));
            select_unpredictable(shape, bars.color(i) * 100, 0)
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
    fn marubozu_takes_the_sign_of_its_colour() {
        assert_eq!(run(marubozu, (10.0, 12.05, 9.95, 12.0)), 100);
        assert_eq!(run(marubozu, (12.0, 12.05, 9.95, 10.0)), -100);
        assert_eq!(run(marubozu, (10.0, 13.0, 9.95, 12.0)), 0);
    }

    #[test]
    fn spinning_top_needs_both_shadows_longer_than_the_body() {
        assert_eq!(run(spinning_top, (10.0, 11.0, 9.0, 10.2)), 100);
        assert_eq!(run(spinning_top, (10.2, 11.0, 9.0, 10.0)), -100);
        assert_eq!(run(spinning_top, (10.0, 10.3, 9.0, 10.2)), 0);
        assert_eq!((MARUBOZU_LOOKBACK, SPINNING_TOP_LOOKBACK), (10, 10));
    }
}
