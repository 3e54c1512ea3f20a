//! The loop every pattern kernel runs: a rule over each bar, with the totals slid block by block.

use std::thread;

use super::{Ohlc, Totals};
use crate::segments::MIN_ROWS_PER_THREAD;

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
    use super::super::{bars_from, BodyDoji, Near, Total};
    use super::*;

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
