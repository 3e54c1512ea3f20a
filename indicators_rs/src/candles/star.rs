//! Three-candle star patterns: a long body, a small "star" gapping away from it, and a candle that closes
//! back well inside the first body.

use super::{lookback, scan, BodyDoji, BodyLong, BodyShort, Ohlc, Setting, Total};
use super::{BODY_DOJI, BODY_LONG, BODY_SHORT};

/// Lookback of [`morning_star`] and [`evening_star`].
pub const STAR_LOOKBACK: usize = lookback(&[BODY_LONG, BODY_SHORT], 2);
/// Lookback of [`morning_doji_star`], [`evening_doji_star`] and [`abandoned_baby`].
pub const DOJI_STAR_LOOKBACK: usize = lookback(&[BODY_LONG, BODY_DOJI, BODY_SHORT], 2);

/// Long first body, a second body small by setting `Star` (short or doji), a third body longer than short.
type StarTotals<Star> = (Total<BodyLong, 2>, Total<Star, 1>, Total<BodyShort, 0>);

/// Black, gap down, white closing above `penetration` of the first body; 100 when found.
fn bottom_star<Star: Setting>(bars: &Ohlc, penetration: f64, lookback: usize, out: &mut [i32]) {
    let c = bars.close;
    scan(
        bars,
        out,
        lookback,
        #[inline(always)]
        |i, (long, star, not_short): &StarTotals<Star>| {
            if !bars.is_white(i - 2)
                && bars.is_white(i)
                && bars.body_gap_down(i - 1, i - 2)
                && c[i] > c[i - 2] + bars.body(i - 2) * penetration
                && bars.body(i - 2) > long.average(bars, i)
                && bars.body(i - 1) <= star.average(bars, i)
                && bars.body(i) > not_short.average(bars, i)
            {
                100
            } else {
                0
            }
        },
    );
}

/// White, gap up, black closing below `penetration` of the first body; -100 when found.
fn top_star<Star: Setting>(bars: &Ohlc, penetration: f64, lookback: usize, out: &mut [i32]) {
    let c = bars.close;
    scan(
        bars,
        out,
        lookback,
        #[inline(always)]
        |i, (long, star, not_short): &StarTotals<Star>| {
            if bars.is_white(i - 2)
                && !bars.is_white(i)
                && bars.body_gap_up(i - 1, i - 2)
                && c[i] < c[i - 2] - bars.body(i - 2) * penetration
                && bars.body(i - 2) > long.average(bars, i)
                && bars.body(i - 1) <= star.average(bars, i)
                && bars.body(i) > not_short.average(bars, i)
            {
                -100
            } else {
                0
            }
        },
    );
}

/// `CDLMORNINGSTAR`: long black, short body gapping down, white closing well into the first body; 100.
pub fn morning_star(bars: &Ohlc, penetration: f64, out: &mut [i32]) {
    bottom_star::<BodyShort>(bars, penetration, STAR_LOOKBACK, out);
}

/// `CDLEVENINGSTAR`: long white, short body gapping up, black closing well into the first body; -100.
pub fn evening_star(bars: &Ohlc, penetration: f64, out: &mut [i32]) {
    top_star::<BodyShort>(bars, penetration, STAR_LOOKBACK, out);
}

/// `CDLMORNINGDOJISTAR`: the morning star with a doji as the star; 100.
pub fn morning_doji_star(bars: &Ohlc, penetration: f64, out: &mut [i32]) {
    bottom_star::<BodyDoji>(bars, penetration, DOJI_STAR_LOOKBACK, out);
}

/// `CDLEVENINGDOJISTAR`: the evening star with a doji as the star; -100.
pub fn evening_doji_star(bars: &Ohlc, penetration: f64, out: &mut [i32]) {
    top_star::<BodyDoji>(bars, penetration, DOJI_STAR_LOOKBACK, out);
}

/// `CDLABANDONEDBABY`: a doji star whose shadows gap away from both neighbours; 100 at a bottom, -100 at
/// a top.
pub fn abandoned_baby(bars: &Ohlc, penetration: f64, out: &mut [i32]) {
    let c = bars.close;
    scan(
        bars,
        out,
        DOJI_STAR_LOOKBACK,
        #[inline(always)]
        |i, (long, doji, not_short): &StarTotals<BodyDoji>| {
            let reach = bars.body(i - 2) * penetration;
            let top = bars.is_white(i - 2)
                && !bars.is_white(i)
                && c[i] < c[i - 2] - reach
                && bars.gap_up(i - 1, i - 2)
                && bars.gap_down(i, i - 1);
            let bottom = !bars.is_white(i - 2)
                && bars.is_white(i)
                && c[i] > c[i - 2] + reach
                && bars.gap_down(i - 1, i - 2)
                && bars.gap_up(i, i - 1);
            if bars.body(i - 2) > long.average(bars, i)
                && bars.body(i - 1) <= doji.average(bars, i)
                && bars.body(i) > not_short.average(bars, i)
                && (top || bottom)
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

    fn run(kernel: fn(&Ohlc, f64, &mut [i32]), tail: [(f64, f64, f64, f64); 3]) -> i32 {
        let mut rows = vec![(10.0, 11.5, 9.5, 11.0); 10];
        rows.extend_from_slice(&tail);
        let cols = bars_from(&rows);
        let mut out = vec![0; rows.len()];
        kernel(
            &Ohlc::new(&cols[0], &cols[1], &cols[2], &cols[3]),
            0.3,
            &mut out,
        );
        out[12]
    }

    #[test]
    fn lookbacks_match_talib() {
        assert_eq!((STAR_LOOKBACK, DOJI_STAR_LOOKBACK), (12, 12));
    }

    #[test]
    fn morning_and_evening_stars() {
        let morning = [
            (14.0, 14.1, 11.9, 12.0),
            (11.5, 11.8, 11.0, 11.7),
            (12.0, 14.1, 11.9, 14.0),
        ];
        assert_eq!(run(morning_star, morning), 100);
        assert_eq!(run(evening_star, morning), 0);
        let evening = [
            (12.0, 14.1, 11.9, 14.0),
            (14.5, 15.0, 14.2, 14.6),
            (14.0, 14.1, 11.9, 12.0),
        ];
        assert_eq!(run(evening_star, evening), -100);
    }

    #[test]
    fn doji_stars_and_abandoned_baby_need_a_doji() {
        let baby = [
            (14.0, 14.1, 11.9, 12.0),
            (11.0, 11.2, 10.8, 11.0),
            (12.0, 14.1, 11.9, 14.0),
        ];
        assert_eq!(run(morning_doji_star, baby), 100);
        assert_eq!(run(abandoned_baby, baby), 100);
        let not_doji = [
            (14.0, 14.1, 11.9, 12.0),
            (11.0, 11.6, 10.8, 11.5),
            (12.0, 14.1, 11.9, 14.0),
        ];
        assert_eq!(run(abandoned_baby, not_doji), 0);
        let top = [
            (12.0, 14.1, 11.9, 14.0),
            (15.0, 15.2, 14.8, 15.0),
            (14.0, 14.1, 11.9, 12.0),
        ];
        assert_eq!(run(evening_doji_star, top), -100);
        assert_eq!(run(abandoned_baby, top), -100);
    }
}
