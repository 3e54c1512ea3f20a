//! Candlestick pattern recognition as pure kernels on slices, equal to TA-Lib 0.8.1 `TA_CDL*`.
//!
//! TA-Lib judges a candle against the average size of recent candles: "long body" means longer than the mean
//! real body of the previous 10 bars, "near" means within 20% of the mean high-low range of the previous 5,
//! and so on. Those rules are the [`CandleSetting`]s below, with TA-Lib's default range types, averaging
//! periods and factors. The averages come from running totals ([`PeriodTotal`]) that TA-Lib updates by
//! adding the newest range and subtracting the oldest after each bar; the same order of additions gives the
//! same rounding, so borderline candles are classified exactly as TA-Lib classifies them.
//!
//! Every kernel takes one run of valid bars and writes `out[i]` for each `i` at or after its lookback
//! (TA-Lib's `_Lookback()`); the rows before it are left untouched and the expression layer makes them null.

pub mod body;
pub mod doji;
pub mod hammer;
pub mod star;
pub mod three_candle;
pub mod two_candle;

/// Open, high, low and close of one run of bars, all the same length.
#[derive(Clone, Copy, Debug)]
pub struct Ohlc<'a> {
    pub open: &'a [f64],
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
}

impl<'a> Ohlc<'a> {
    /// Bundles four equally long price slices.
    pub fn new(open: &'a [f64], high: &'a [f64], low: &'a [f64], close: &'a [f64]) -> Self {
        debug_assert!(
            open.len() == high.len() && high.len() == low.len() && low.len() == close.len()
        );
        Self {
            open,
            high,
            low,
            close,
        }
    }

    /// Number of bars.
    pub fn len(&self) -> usize {
        self.close.len()
    }

    /// Whether there are no bars.
    pub fn is_empty(&self) -> bool {
        self.close.is_empty()
    }

    /// A white (rising or flat) candle: close at or above open, TA-Lib's `TA_CANDLECOLOR == 1`.
    #[inline]
    pub fn is_white(&self, i: usize) -> bool {
        self.close[i] >= self.open[i]
    }

    /// TA-Lib's candle colour: 1 for white, -1 for black.
    #[inline]
    pub fn color(&self, i: usize) -> i32 {
        if self.is_white(i) {
            1
        } else {
            -1
        }
    }

    /// Size of the real body, `|close - open|`.
    #[inline]
    pub fn body(&self, i: usize) -> f64 {
        (self.close[i] - self.open[i]).abs()
    }

    /// Top of the real body, `max(open, close)`.
    #[inline]
    pub fn body_top(&self, i: usize) -> f64 {
        self.open[i].max(self.close[i])
    }

    /// Bottom of the real body, `min(open, close)`.
    #[inline]
    pub fn body_bottom(&self, i: usize) -> f64 {
        self.open[i].min(self.close[i])
    }

    /// Distance from the top of the real body up to the high.
    #[inline]
    pub fn upper_shadow(&self, i: usize) -> f64 {
        self.high[i]
            - if self.is_white(i) {
                self.close[i]
            } else {
                self.open[i]
            }
    }

    /// Distance from the low up to the bottom of the real body.
    #[inline]
    pub fn lower_shadow(&self, i: usize) -> f64 {
        (if self.is_white(i) {
            self.open[i]
        } else {
            self.close[i]
        }) - self.low[i]
    }

    /// High minus low.
    #[inline]
    pub fn high_low(&self, i: usize) -> f64 {
        self.high[i] - self.low[i]
    }

    /// The real body of bar `i` lies wholly above that of bar `j` (TA-Lib `TA_REALBODYGAPUP(i, j)`).
    #[inline]
    pub fn body_gap_up(&self, i: usize, j: usize) -> bool {
        self.body_bottom(i) > self.body_top(j)
    }

    /// The real body of bar `i` lies wholly below that of bar `j` (TA-Lib `TA_REALBODYGAPDOWN(i, j)`).
    #[inline]
    pub fn body_gap_down(&self, i: usize, j: usize) -> bool {
        self.body_top(i) < self.body_bottom(j)
    }

    /// Bar `i`'s low is above bar `j`'s high (TA-Lib `TA_CANDLEGAPUP(i, j)`).
    #[inline]
    pub fn gap_up(&self, i: usize, j: usize) -> bool {
        self.low[i] > self.high[j]
    }

    /// Bar `i`'s high is below bar `j`'s low (TA-Lib `TA_CANDLEGAPDOWN(i, j)`).
    #[inline]
    pub fn gap_down(&self, i: usize, j: usize) -> bool {
        self.high[i] < self.low[j]
    }
}

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

impl CandleSetting {
    /// The measured range of bar `i` (TA-Lib `TA_CANDLERANGE`).
    #[inline]
    pub fn range(&self, bars: &Ohlc, i: usize) -> f64 {
        match self.range_type {
            RangeType::RealBody => bars.body(i),
            RangeType::HighLow => bars.high_low(i),
            RangeType::Shadows => bars.upper_shadow(i) + bars.lower_shadow(i),
        }
    }

    /// The threshold for bar `i` given the running `total` of prior ranges (TA-Lib `TA_CANDLEAVERAGE`).
    #[inline]
    pub fn average(&self, total: f64, bars: &Ohlc, i: usize) -> f64 {
        let mean = if self.avg_period != 0 {
            total / self.avg_period as f64
        } else {
            self.range(bars, i)
        };
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

/// TA-Lib's running total of a setting's range over the `avg_period` bars before bar `i - offset`.
///
/// `offset` says which candle of the pattern the total judges: 0 the current bar, 1 the one before, ...
#[derive(Clone, Copy, Debug)]
pub struct PeriodTotal {
    setting: CandleSetting,
    offset: usize,
    total: f64,
}

impl PeriodTotal {
    /// Sums the ranges of bars `start - offset - avg_period .. start - offset`, oldest first, as TA-Lib does.
    pub fn new(setting: CandleSetting, offset: usize, bars: &Ohlc, start: usize) -> Self {
        let mut total = 0.0;
        for j in start - setting.avg_period..start {
            total += setting.range(bars, j - offset);
        }
        Self {
            setting,
            offset,
            total,
        }
    }

    /// The current total.
    pub fn total(&self) -> f64 {
        self.total
    }

    /// The setting's threshold for the candle judged at bar `i` (that is, bar `i - offset`).
    #[inline]
    pub fn average(&self, bars: &Ohlc, i: usize) -> f64 {
        self.setting.average(self.total, bars, i - self.offset)
    }

    /// Slides the window after bar `i`: adds the newest range minus the oldest in one step, as TA-Lib does.
    #[inline]
    pub fn advance(&mut self, bars: &Ohlc, i: usize) {
        let newest = self.setting.range(bars, i - self.offset);
        let oldest = self
            .setting
            .range(bars, i - self.offset - self.setting.avg_period);
        self.total += newest - oldest;
    }
}

/// Runs a pattern `rule` over every bar from `lookback` on, keeping one [`PeriodTotal`] per `(setting,
/// offset)` in `totals` and sliding them after each bar.
#[inline]
pub fn scan<const N: usize, F>(
    bars: &Ohlc,
    out: &mut [i32],
    lookback: usize,
    totals: [(CandleSetting, usize); N],
    mut rule: F,
) where
    F: FnMut(usize, &[PeriodTotal; N]) -> i32,
{
    debug_assert_eq!(bars.len(), out.len());
    if bars.len() <= lookback {
        return;
    }
    let mut totals = totals.map(|(s, offset)| PeriodTotal::new(s, offset, bars, lookback));
    for (i, o) in out.iter_mut().enumerate().skip(lookback) {
        *o = rule(i, &totals);
        for t in totals.iter_mut() {
            t.advance(bars, i);
        }
    }
}

/// Builds an [`Ohlc`] from per-bar tuples; for tests.
#[cfg(test)]
pub(crate) fn bars_from(rows: &[(f64, f64, f64, f64)]) -> [Vec<f64>; 4] {
    [
        rows.iter().map(|r| r.0).collect(),
        rows.iter().map(|r| r.1).collect(),
        rows.iter().map(|r| r.2).collect(),
        rows.iter().map(|r| r.3).collect(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ohlc(cols: &[Vec<f64>; 4]) -> Ohlc<'_> {
        Ohlc::new(&cols[0], &cols[1], &cols[2], &cols[3])
    }

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
        let bars = ohlc(&cols);
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
        let bars = ohlc(&cols);
        assert_eq!(SHADOW_VERY_LONG.average(123.0, &bars, 0), 4.0);
        assert_eq!(SHADOW_SHORT.average(30.0, &bars, 0), 1.5);
        assert_eq!(NEAR.average(10.0, &bars, 0), 0.2 * 2.0);
    }

    #[test]
    fn period_total_slides_by_adding_newest_minus_oldest() {
        let rows: Vec<_> = (0..8).map(|k| (0.0, k as f64, 0.0, 0.0)).collect();
        let cols = bars_from(&rows);
        let bars = ohlc(&cols);
        // NEAR averages 5 bars; judging bar i - 1 from start 6 sums ranges of bars 0..5.
        let mut total = PeriodTotal::new(NEAR, 1, &bars, 6);
        assert_eq!(total.total(), 0.0 + 1.0 + 2.0 + 3.0 + 4.0);
        total.advance(&bars, 6);
        assert_eq!(total.total(), 10.0 + (5.0 - 0.0));
        assert_eq!(total.average(&bars, 7), 0.2 * (15.0 / 5.0));
    }

    #[test]
    fn period_total_keeps_talibs_rounding_not_a_fresh_sum() {
        // With 1e16 in the window, a fresh sum of the later window would be exact; the running total is not.
        let mut rows = vec![(0.0, 1e16, 0.0, 0.0)];
        rows.extend([(0.0, 1.0, 0.0, 0.0); 6]);
        let cols = bars_from(&rows);
        let bars = ohlc(&cols);
        let mut total = PeriodTotal::new(NEAR, 0, &bars, 5);
        total.advance(&bars, 5);
        let fresh: f64 = (1..6).map(|j| bars.high_low(j)).sum();
        assert_eq!(fresh, 5.0);
        // 1e16 + 1 rounds back to 1e16 four times, then 1 - 1e16 rounds to -1e16.
        assert_eq!(total.total(), 0.0);
    }

    #[test]
    fn scan_writes_only_from_the_lookback_on() {
        let cols = bars_from(&[(1.0, 2.0, 0.0, 1.5); 4]);
        let bars = ohlc(&cols);
        let mut out = [7; 4];
        scan(&bars, &mut out, 2, [], |i, _| i as i32);
        assert_eq!(out, [7, 7, 2, 3]);
        let mut short = [7; 2];
        scan(
            &Ohlc::new(&cols[0][..2], &cols[1][..2], &cols[2][..2], &cols[3][..2]),
            &mut short,
            2,
            [],
            |_, _| 1,
        );
        assert_eq!(short, [7, 7]);
    }
}
