//! Checked runs: a whole series computed as if no bar were missing, with that assumption checked on the
//! way, and how such a run went.

use std::thread;

use super::{all_valid, NanRuns};

/// A checked way to run a kernel over a whole series (see [`CheckedVariants`]): it computes every row as if
/// no bar were missing and checks that on the way, reporting the series done (with its NaN rows when it
/// knows them) or a missing bar (outputs unspecified).
pub type CheckedRunner<'a, const I: usize, const O: usize> =
    &'a (dyn Fn([&[f64]; I], [&mut [f64]; O]) -> CheckedRun<O> + Sync);

/// A kernel's checked variants, when it has them: `segment` runs one segment on the calling thread
/// assuming no bar is missing and says whether that held (checking on the way, with no separate pass);
/// `long_series` runs one long series over several threads.
#[derive(Clone, Copy, Default)]
pub struct CheckedVariants<'a, const I: usize, const O: usize> {
    pub segment: Option<CheckedRunner<'a, I, O>>,
    pub long_series: Option<CheckedRunner<'a, I, O>>,
}

/// How a checked run over a whole series went: a bar was missing (the outputs are to be redone run by
/// run), or it is done, with each output's NaN rows when they are known without a scan.
#[derive(Debug, PartialEq, Eq)]
pub enum CheckedRun<const O: usize> {
    MissingBar,
    Done(Option<[NanRuns; O]>),
}

/// One long series on two cores: the kernel runs over every bar as if none were missing while a second
/// thread checks that assumption.
///
/// Scanning the inputs for missing bars reads them once more, which costs about as much as a simple
/// kernel; overlapping the two hides it for the usual gap-free series.
pub fn run_checked<const I: usize, const O: usize, K>(
    inputs: [&[f64]; I],
    outs: [&mut [f64]; O],
    kernel: &K,
) -> CheckedRun<O>
where
    K: Fn([&[f64]; I], [&mut [f64]; O]) + Sync,
{
    let n = outs.first().map_or(0, |o| o.len());
    let all_valid = thread::scope(|scope| {
        let check = scope.spawn(|| all_valid(&inputs, 0, n));
        kernel(inputs, outs);
        check.join().unwrap_or(false)
    });
    if all_valid {
        CheckedRun::Done(None)
    } else {
        CheckedRun::MissingBar
    }
}
