//! TA-Lib's running period totals, which the pattern loop (`scan`) slides after each bar.

use std::marker::PhantomData;

use super::{Ohlc, Setting};

/// TA-Lib's running total of setting `S`'s range over the `avg_period` bars before the candle judged at
/// offset `K` (0 the current bar, 1 the one before, ...), with the threshold it gives.
///
/// [`Total::advance`] slides the total alone; [`Total::averaged`] computes the threshold, a division that
/// the walk does for a block of bars before any rule reads it (see [`scan`](super::scan)). Only the walk
/// slides totals, and it hands rules nothing but averaged ones.
#[derive(Debug)]
pub struct Total<S, const K: usize> {
    sum: f64,
    average: f64,
    setting: PhantomData<fn() -> S>,
}

impl<S, const K: usize> Clone for Total<S, K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S, const K: usize> Copy for Total<S, K> {}

impl<S: Setting, const K: usize> Total<S, K> {
    /// Sums the ranges of bars `start - K - avg_period .. start - K`, oldest first, as TA-Lib does.
    #[inline(always)]
    pub fn new(bars: &Ohlc, start: usize) -> Self {
        let mut sum = 0.0;
        for j in start - S::SETTING.avg_period..start {
            sum += S::SETTING.range(bars, j - K);
        }
        Self {
            sum,
            average: f64::NAN,
            setting: PhantomData,
        }
        .averaged()
    }

    /// The same total with its threshold computed.
    #[inline(always)]
    pub fn averaged(self) -> Self {
        if S::SETTING.avg_period == 0 {
            return self;
        }
        Self {
            average: S::SETTING.average_of_total(self.sum),
            ..self
        }
    }

    /// The current total.
    pub fn total(&self) -> f64 {
        self.sum
    }

    /// The setting's threshold for the candle judged at bar `i` (that is, bar `i - K`), as of the last
    /// [`Total::averaged`].
    #[inline(always)]
    pub fn average(&self, bars: &Ohlc, i: usize) -> f64 {
        if S::SETTING.avg_period == 0 {
            S::SETTING.average(self.sum, bars, i - K)
        } else {
            self.average
        }
    }

    /// Slides the window after bar `i`: adds the newest range minus the oldest in one step, as TA-Lib does
    /// (the threshold is stale until [`Total::averaged`]). A setting that averages no bars (its threshold
    /// is the bar's own range) keeps no total.
    #[inline(always)]
    pub fn advance(&mut self, bars: &Ohlc, i: usize) {
        if S::SETTING.avg_period == 0 {
            return;
        }
        let newest = S::SETTING.range(bars, i - K);
        let oldest = S::SETTING.range(bars, i - K - S::SETTING.avg_period);
        self.sum += newest - oldest;
    }
}

/// The totals one pattern keeps: a [`Total`], or a tuple of them.
pub trait Totals: Copy {
    /// Whether there is nothing to slide (a pattern without totals, whose rule alone sets its speed).
    const NONE: bool = false;
    /// Every total summed up to bar `start`.
    fn start(bars: &Ohlc, start: usize) -> Self;
    /// Slides every total after bar `i`.
    fn advance(&mut self, bars: &Ohlc, i: usize);
    /// The same totals with their thresholds computed.
    fn averaged(self) -> Self;
}

impl Totals for () {
    const NONE: bool = true;
    #[inline(always)]
    fn start(_: &Ohlc, _: usize) -> Self {}
    #[inline(always)]
    fn advance(&mut self, _: &Ohlc, _: usize) {}
    #[inline(always)]
    fn averaged(self) -> Self {}
}

impl<S: Setting, const K: usize> Totals for Total<S, K> {
    #[inline(always)]
    fn start(bars: &Ohlc, start: usize) -> Self {
        Self::new(bars, start)
    }
    #[inline(always)]
    fn advance(&mut self, bars: &Ohlc, i: usize) {
        Total::advance(self, bars, i);
    }
    #[inline(always)]
    fn averaged(self) -> Self {
        Total::averaged(self)
    }
}

/// `Totals` for tuples of totals, up to eight.
macro_rules! tuple_totals {
    ($($t:ident $v:ident),+) => {
        impl<$($t: Totals),+> Totals for ($($t,)+) {
            #[inline(always)]
            fn start(bars: &Ohlc, start: usize) -> Self {
                ($($t::start(bars, start),)+)
            }
            #[inline(always)]
            fn advance(&mut self, bars: &Ohlc, i: usize) {
                let ($($v,)+) = self;
                $($v.advance(bars, i);)+
            }
            #[inline(always)]
            fn averaged(self) -> Self {
                let ($($v,)+) = self;
                ($($v.averaged(),)+)
            }
        }
    };
}

tuple_totals!(A a);
tuple_totals!(A a, B b);
tuple_totals!(A a, B b, C c);
tuple_totals!(A a, B b, C c, D d);
tuple_totals!(A a, B b, C c, D d, E e, F f, G g, H h);

#[cfg(test)]
mod tests {
    use super::super::{bars_from, Near};
    use super::*;

    #[test]
    fn total_slides_by_adding_newest_minus_oldest() {
        let rows: Vec<_> = (0..8).map(|k| (0.0, k as f64, 0.0, 0.0)).collect();
        let cols = bars_from(&rows);
        let bars = Ohlc::new(&cols[0], &cols[1], &cols[2], &cols[3]);
        // NEAR averages 5 bars; judging bar i - 1 from start 6 sums ranges of bars 0..5.
        let mut total = Total::<Near, 1>::new(&bars, 6);
        assert_eq!(total.total(), 0.0 + 1.0 + 2.0 + 3.0 + 4.0);
        total.advance(&bars, 6);
        assert_eq!(total.total(), 10.0 + (5.0 - 0.0));
        assert_eq!(total.averaged().average(&bars, 7), 0.2 * (15.0 / 5.0));
    }

    #[test]
    fn total_keeps_talibs_rounding_not_a_fresh_sum() {
        // With 1e16 in the window, a fresh sum of the later window would be exact; the running total is not.
        let mut rows = vec![(0.0, 1e16, 0.0, 0.0)];
        rows.extend([(0.0, 1.0, 0.0, 0.0); 6]);
        let cols = bars_from(&rows);
        let bars = Ohlc::new(&cols[0], &cols[1], &cols[2], &cols[3]);
        let mut total = Total::<Near, 0>::new(&bars, 5);
        total.advance(&bars, 5);
        let fresh: f64 = (1..6).map(|j| bars.high_low(j)).sum();
        assert_eq!(fresh, 5.0);
        // 1e16 + 1 rounds back to 1e16 four times, then 1 - 1e16 rounds to -1e16.
        assert_eq!(total.total(), 0.0);
    }
}
