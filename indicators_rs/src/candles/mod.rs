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
mod scan;
mod settings;
pub mod star;
pub mod three_candle;
mod totals;
pub mod two_candle;

pub use scan::scan;
pub use settings::*;
pub use totals::{Total, Totals};

/// Open, high, low and close of one run of bars, all the same length.
#[derive(Clone, Copy, Debug)]
pub struct Ohlc<'a> {
    pub open: &'a [f64],
    pub high: &'a [f64],
    pub low: &'a [f64],
    pub close: &'a [f64],
    /// Whether a pattern may spread these bars over two threads (one long series, nothing else running).
    pub split: bool,
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
            split: false,
        }
    }

    /// The same bars, which a pattern may spread over two threads.
    pub fn splittable(self) -> Self {
        Self {
            split: true,
            ..self
        }
    }

    /// The bars in `range`.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Ohlc<'a> {
        Ohlc {
            open: &self.open[range.clone()],
            high: &self.high[range.clone()],
            low: &self.low[range.clone()],
            close: &self.close[range],
            split: self.split,
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
    #[inline(always)]
    pub fn is_white(&self, i: usize) -> bool {
        self.close[i] >= self.open[i]
    }

    /// TA-Lib's candle colour: 1 for white, -1 for black.
    #[inline(always)]
    pub fn color(&self, i: usize) -> i32 {
        if self.is_white(i) {
            1
        } else {
            -1
        }
    }

    /// Size of the real body, `|close - open|`.
    #[inline(always)]
    pub fn body(&self, i: usize) -> f64 {
        (self.close[i] - self.open[i]).abs()
    }

    /// Top of the real body, `max(open, close)`.
    #[inline(always)]
    pub fn body_top(&self, i: usize) -> f64 {
        self.open[i].max(self.close[i])
    }

    /// Bottom of the real body, `min(open, close)`.
    #[inline(always)]
    pub fn body_bottom(&self, i: usize) -> f64 {
        self.open[i].min(self.close[i])
    }

    /// Distance from the top of the real body up to the high.
    #[inline(always)]
    pub fn upper_shadow(&self, i: usize) -> f64 {
        self.high[i]
            - if self.is_white(i) {
                self.close[i]
            } else {
                self.open[i]
            }
    }

    /// Distance from the low up to the bottom of the real body.
    #[inline(always)]
    pub fn lower_shadow(&self, i: usize) -> f64 {
        (if self.is_white(i) {
            self.open[i]
        } else {
            self.close[i]
        }) - self.low[i]
    }

    /// High minus low.
    #[inline(always)]
    pub fn high_low(&self, i: usize) -> f64 {
        self.high[i] - self.low[i]
    }

    /// The real body of bar `i` lies wholly above that of bar `j` (TA-Lib `TA_REALBODYGAPUP(i, j)`).
    #[inline(always)]
    pub fn body_gap_up(&self, i: usize, j: usize) -> bool {
        self.body_bottom(i) > self.body_top(j)
    }

    /// The real body of bar `i` lies wholly below that of bar `j` (TA-Lib `TA_REALBODYGAPDOWN(i, j)`).
    #[inline(always)]
    pub fn body_gap_down(&self, i: usize, j: usize) -> bool {
        self.body_top(i) < self.body_bottom(j)
    }

    /// Bar `i`'s low is above bar `j`'s high (TA-Lib `TA_CANDLEGAPUP(i, j)`).
    #[inline(always)]
    pub fn gap_up(&self, i: usize, j: usize) -> bool {
        self.low[i] > self.high[j]
    }

    /// Bar `i`'s high is below bar `j`'s low (TA-Lib `TA_CANDLEGAPDOWN(i, j)`).
    #[inline(always)]
    pub fn gap_down(&self, i: usize, j: usize) -> bool {
        self.high[i] < self.low[j]
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
