//! TA-Lib's running period totals and the loop every pattern kernel runs.

use std::marker::PhantomData;
use std::thread;

use super::{Ohlc, Setting};
use crate::segments::MIN_ROWS_PER_THREAD;

/// TA-Lib's running total of setting `S`'s range over the `avg_period` bars before the candle judged at
/// offset `K` (0 the current bar, 1 the one before, ...), with the threshold it gives.
///
/// [`Total::advance`] slides the total alone; [`Total::averaged`] computes the threshold, a division that
/// the walk does for a block of bars before any rule reads it (see [`scan`]). Only the walk slides totals,
/// and it hands rules nothing but averaged ones.
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

/// Runs a pattern `rule` over every bar from `lookback` on, then slides the totals `T` after each bar;
/// writes nothing when the run is no longer than the lookback.
///
/// On a long series of [`Ohlc::splittable`] bars, the second half runs on another thread: the totals are
/// slid to the middle first (a few additions per bar, far cheaper than the rule), so that thread starts
/// from exactly the totals the single walk would have there, and both halves give the same bits.
#[inline(always)]
pub fn scan<T: Totals + Send, F>(bars: &Ohlc, out: &mut [i32], lookback: usize, rule: F)
where
    F: Fn(usize, &T) -> i32 + Sync,
{
    debug_assert_eq!(bars.len(), out.len());
    let n = bars.len();
    if n <= lookback {
        return;
    }
    let mut totals = T::start(bars, lookback);
    // A pattern without totals is a cheap rule over bars read once: a second thread does not pay.
    if T::NONE || !bars.split || n - lookback < 2 * MIN_ROWS_PER_THREAD {
        walk(bars, out, lookback, n, 0, &mut totals, &rule);
        return;
    }
    let middle = lookback + (n - lookback) / 2;
    let mut at_middle = totals;
    for i in lookback..middle {
        at_middle.advance(bars, i);
    }
    let (head, tail) = out.split_at_mut(middle);
    thread::scope(|scope| {
        let rule = &rule;
        scope.spawn(move || walk(bars, tail, middle, n, middle, &mut at_middle, rule));
        walk(bars, head, lookback, middle, 0, &mut totals, rule);
    });
}

/// Bars per block of a walk.
const BLOCK: usize = 256;

/// Applies `rule` to bars `from..to`, writing at `bar - offset`, sliding `totals` after each bar.
///
/// A block of bars at a time, the totals are slid first and each bar's thresholds kept, and only then
/// does the rule judge the block's bars: the rule's tests then never wait on the totals' chain of
/// additions or on a division, and bars judged one after another overlap in the CPU.
#[inline(always)]
fn walk<T: Totals, F>(
    bars: &Ohlc,
    out: &mut [i32],
    from: usize,
    to: usize,
    offset: usize,
    totals: &mut T,
    rule: &F,
) where
    F: Fn(usize, &T) -> i32,
{
    let out = &mut out[from - offset..to - offset];
    let mut kept = [*totals; BLOCK];
    for (block, outs) in out.chunks_mut(BLOCK).enumerate() {
        let start = from + block * BLOCK;
        let mut current = *totals;
        for (k, slot) in kept[..outs.len()].iter_mut().enumerate() {
            *slot = current.averaged();
            current.advance(bars, start + k);
        }
        *totals = current;
        for (k, (o, at)) in outs.iter_mut().zip(&kept).enumerate() {
            *o = rule(start + k, at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{bars_from, BodyDoji, Near};
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

    #[test]
    fn every_bar_sees_the_totals_and_thresholds_of_its_own_window_across_blocks_and_threads() {
        // Integer ranges keep every sum exact, so the running totals equal fresh sums of each window.
        let n = 2 * MIN_ROWS_PER_THREAD + 3 * BLOCK + 7;
        let rows: Vec<_> = (0..n)
            .map(|k| (0.0, (k * 7919 % 13) as f64, 0.0, (k % 5) as f64))
            .collect();
        let cols = bars_from(&rows);
        let bars = Ohlc::new(&cols[0], &cols[1], &cols[2], &cols[3]);
        for bars in [bars, bars.splittable()] {
            let mut out = vec![0; n];
            scan(
                &bars,
                &mut out,
                11,
                #[inline(always)]
                |i, (doji, near): &(Total<BodyDoji, 0>, Total<Near, 1>)| {
                    let fresh = (
                        Total::<BodyDoji, 0>::new(&bars, i),
                        Total::<Near, 1>::new(&bars, i),
                    );
                    i32::from(
                        doji.total() == fresh.0.total()
                            && near.total() == fresh.1.total()
                            && doji.average(&bars, i) == fresh.0.average(&bars, i)
                            && near.average(&bars, i) == fresh.1.average(&bars, i),
                    )
                },
            );
            assert!(
                out[11..].iter().all(|&same| same == 1),
                "split: {}",
                bars.split
            );
        }
    }

    #[test]
    fn scan_writes_only_from_the_lookback_on() {
        let cols = bars_from(&[(1.0, 2.0, 0.0, 1.5); 12]);
        let bars = Ohlc::new(&cols[0], &cols[1], &cols[2], &cols[3]);
        let mut out = [7; 12];
        scan(
            &bars,
            &mut out,
            10,
            #[inline(always)]
            |i, doji: &Total<BodyDoji, 0>| {
                assert_eq!(doji.total(), 20.0);
                i as i32
            },
        );
        assert_eq!(out, [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 10, 11]);
        let short = Ohlc::new(&cols[0][..2], &cols[1][..2], &cols[2][..2], &cols[3][..2]);
        let mut out = [7; 2];
        scan(&short, &mut out, 2, |_, (): &()| 1);
        assert_eq!(out, [7, 7]);
    }
}
