//! Overlap studies: the moving averages (and TA-Lib's `TA_MA` dispatch), as pure kernels on slices.
//!
//! Each kernel writes `out[i]` for every bar: `f64::NAN` before its lookback, the TA-Lib value from it on.
//! The expression layer turns those warm-up rows into nulls. Where TA-Lib 0.8.1 is compiled with fused
//! multiply-add (EMA, DEMA, TEMA, KAMA, BBANDS) the same operations use `f64::mul_add`.
//!
//! `sma_ema` holds the two written as recurrences, `weighted` WMA and TRIMA, `ema_based` DEMA, TEMA and
//! KAMA; this module the `matype` dispatch.
// Index loops mirror TA-Lib's C, which reads several arrays at the same and at earlier bars.
#![allow(clippy::needless_range_loop)]

mod ema_based;
mod sma_ema;
mod weighted;

pub use ema_based::{dema, kama, tema};
pub use sma_ema::{ema, sma, sma_lookback, Ema, Sma};
pub use weighted::{trima, wma};

/// TA-Lib's moving-average types (`matype`), in TA-Lib's numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaType {
    Sma = 0,
    Ema = 1,
    Wma = 2,
    Dema = 3,
    Tema = 4,
    Trima = 5,
    Kama = 6,
}

impl MaType {
    /// The moving average for a TA-Lib `matype` number; MAMA (7) and T3 (8) are not provided.
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => Self::Sma,
            1 => Self::Ema,
            2 => Self::Wma,
            3 => Self::Dema,
            4 => Self::Tema,
            5 => Self::Trima,
            6 => Self::Kama,
            _ => return None,
        })
    }
}

/// Writes NaN everywhere and reports whether `len` bars are too few for one output after `lookback`.
#[inline]
pub(crate) fn too_short(out: &mut [f64], lookback: usize) -> bool {
    if out.len() <= lookback {
        out.fill(f64::NAN);
        return true;
    }
    out[..lookback].fill(f64::NAN);
    false
}

/// TA-Lib's `TA_IS_ZERO`: strictly within ±1e-14.
#[inline]
pub(crate) fn is_zero(v: f64) -> bool {
    -0.00000000000001 < v && v < 0.00000000000001
}

/// Leading bars without output of `ma` for `period` and `matype`.
pub fn ma_lookback(period: usize, matype: MaType) -> usize {
    if period <= 1 {
        return 0;
    }
    match matype {
        MaType::Sma | MaType::Ema | MaType::Wma | MaType::Trima => period - 1,
        MaType::Dema => 2 * (period - 1),
        MaType::Tema => 3 * (period - 1),
        MaType::Kama => period,
    }
}

/// `TA_MA`: the moving average of `matype`; a period of 1 copies the input as TA-Lib does.
pub fn ma(input: &[f64], period: usize, matype: MaType, out: &mut [f64]) {
    if period <= 1 {
        out.copy_from_slice(input);
        return;
    }
    match matype {
        MaType::Sma => sma(input, period, out),
        MaType::Ema => ema(input, period, out),
        MaType::Wma => wma(input, period, out),
        MaType::Dema => dema(input, period, out),
        MaType::Tema => tema(input, period, out),
        MaType::Trima => trima(input, period, out),
        MaType::Kama => kama(input, period, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_moving_average_of_a_constant_is_that_constant() {
        let input = [4.0; 40];
        for matype in 0..=6 {
            let matype = MaType::from_code(matype).unwrap();
            let mut out = [0.0; 40];
            ma(&input, 5, matype, &mut out);
            let lookback = ma_lookback(5, matype);
            assert!(out[..lookback].iter().all(|v| v.is_nan()), "{matype:?}");
            assert!(
                out[lookback..].iter().all(|&v| v == 4.0),
                "{matype:?}: {out:?}"
            );
        }
    }

    #[test]
    fn short_inputs_are_all_warm_up_for_every_average() {
        for matype in 0..=6 {
            let matype = MaType::from_code(matype).unwrap();
            for len in 0..8 {
                let input = vec![1.0; len];
                let mut out = vec![0.0; len];
                ma(&input, 4, matype, &mut out);
                let lookback = ma_lookback(4, matype);
                assert_eq!(
                    out.iter().filter(|v| !v.is_nan()).count(),
                    len.saturating_sub(lookback)
                );
            }
        }
    }
}
