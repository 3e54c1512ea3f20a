//! Sharing work out over threads: how many, where to cut a list of segments, and joining them.

use std::thread;

/// Fewest rows worth a thread of their own; below this the spawn costs more than it saves.
pub const MIN_ROWS_PER_THREAD: usize = 64 * 1024;

/// Cuts the segments into at most `threads` contiguous blocks of about equal rows; returns the indices
/// into `bounds` where blocks start, then `bounds.len() - 1`.
pub fn block_cuts(bounds: &[usize], threads: usize) -> Vec<usize> {
    let n = bounds.last().copied().unwrap_or(0);
    let mut cuts = vec![0usize];
    for t in 1..threads {
        let target = n * t / threads;
        let s = bounds
            .partition_point(|&b| b < target)
            .min(bounds.len() - 1);
        if s > *cuts.last().unwrap_or(&0) && s < bounds.len() - 1 {
            cuts.push(s);
        }
    }
    cuts.push(bounds.len() - 1);
    cuts
}

/// The results of scoped threads, in order; a thread's panic goes on unwinding here.
pub fn join_all<T>(handles: Vec<thread::ScopedJoinHandle<'_, T>>) -> Vec<T> {
    handles
        .into_iter()
        .map(|h| {
            h.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
        .collect()
}

/// Threads to spread a grouped call over: `POLARS_MAX_THREADS` when set, else the available cores.
pub fn thread_count() -> usize {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    std::env::var("POLARS_MAX_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&v| v > 0)
        .map_or(cores, |v| v.min(cores))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_cut_at_segment_bounds() {
        assert_eq!(block_cuts(&[0, 2, 6, 10], 2), vec![0, 2, 3]);
        assert_eq!(block_cuts(&[0, 10], 2), vec![0, 1]);
    }
}
