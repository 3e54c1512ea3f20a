//! The walk over rows of a [`Recurrence`]: steps them block by block, noting missing bars and NaN
//! outputs on the way, compiled for the fastest code the CPU runs.

use super::{Recurrence, Seen};
use crate::segments::find_first;

/// Steps rows `from..to`, writing the outputs at `row - offset`, and notes whether any input of those rows
/// is not finite and any output NaN.
#[inline(always)]
fn walk<R, const I: usize, const O: usize, const S: usize>(
    r: &R,
    state: &mut [f64; S],
    ins: [&[f64]; I],
    outs: &mut [&mut [f64]; O],
    from: usize,
    to: usize,
    offset: usize,
) -> Seen
where
    R: Recurrence<I, O, S>,
{
    for out in outs.iter() {
        assert!(to - offset <= out.len());
    }
    for column in ins {
        assert!(to <= column.len());
    }
    let (mut missing, mut nan) = (false, false);
    // The state lives in registers for the walk; written back through `state` every row, it would cost a
    // store per row (the compiler cannot tell it from the outputs).
    let mut current = *state;
    // Unless the kernel checks rows as it steps them, the checks are vectorised scans, block by block, of
    // rows still in L1: riding along in a generic step loop they would add several instructions per row.
    let mut block = from;
    while block < to {
        let end = (block + BLOCK).min(to);
        if let Some(seen) = r.step_rows(&mut current, ins, outs, block..end, offset) {
            missing |= seen.missing;
            nan |= seen.nan;
        } else {
            for column in ins {
                missing |= find_first(&column[block..end], |v| !v.is_finite()).is_some();
            }
            for out in outs.iter() {
                nan |= find_first(&out[block - offset..end - offset], f64::is_nan).is_some();
            }
        }
        block = end;
    }
    *state = current;
    Seen { missing, nan }
}

/// Rows per block of a walk.
const BLOCK: usize = 512;

/// Defines `$name`: [`walk`] compiled with the target features `$features`.
macro_rules! walk_with {
    ($(#[$doc:meta])* $name:ident, $features:literal) => {
        $(#[$doc])*
        ///
        /// # Safety
        #[doc = concat!("The CPU must support the target features `", $features, "`.")]
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        unsafe fn $name<R, const I: usize, const O: usize, const S: usize>(
            r: &R,
            state: &mut [f64; S],
            ins: [&[f64]; I],
            outs: &mut [&mut [f64]; O],
            from: usize,
            to: usize,
            offset: usize,
        ) -> Seen
        where
            R: Recurrence<I, O, S>,
        {
            walk(r, state, ins, outs, from, to, offset)
        }
    };
}

walk_with!(
    /// The walk with fused multiply-add, so `f64::mul_add` in `step` is one instruction, and with AVX2, so
    /// the checks compare four values per instruction.
    walk_fma,
    "fma,avx2"
);
walk_with!(
    /// The walk with fused multiply-add alone, for CPUs that have FMA but not AVX2 (`mul_add` would
    /// otherwise be a library call per row).
    walk_fma_only,
    "fma"
);

/// [`walk`] on the fastest code the CPU runs; all give the same bits.
pub(super) fn steps<R, const I: usize, const O: usize, const S: usize>(
    r: &R,
    state: &mut [f64; S],
    ins: [&[f64]; I],
    outs: &mut [&mut [f64]; O],
    (from, to): (usize, usize),
    offset: usize,
) -> Seen
where
    R: Recurrence<I, O, S>,
{
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU was just checked to support `fma` and `avx2`.
        return unsafe { walk_fma(r, state, ins, outs, from, to, offset) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU was just checked to support `fma`.
        return unsafe { walk_fma_only(r, state, ins, outs, from, to, offset) };
    }
    walk(r, state, ins, outs, from, to, offset)
}
