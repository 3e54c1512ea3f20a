//! Checks of the TA-Lib parameters the wrappers take: each names the function, the parameter and the fix.

use polars::prelude::*;

use crate::overlap::MaType;

/// Largest period TA-Lib accepts, in bars.
pub const MAX_PERIOD: i64 = 100_000;

/// Checks a TA-Lib period and names the function, the parameter and the fix when it is out of range.
pub fn check_period(function: &str, name: &str, period: i64, min: i64) -> PolarsResult<usize> {
    if period < min || period > MAX_PERIOD {
        polars_bail!(InvalidOperation:
            "{function}: {name}={period} is out of range; pass an integer between {min} and {MAX_PERIOD}");
    }
    Ok(period as usize)
}

/// Checks a finite float parameter such as `nbdevup`.
pub fn check_finite(function: &str, name: &str, value: f64) -> PolarsResult<f64> {
    if !value.is_finite() {
        polars_bail!(InvalidOperation: "{function}: {name}={value} is not a finite number; pass a float such as 2.0");
    }
    Ok(value)
}

/// Checks a TA-Lib `matype` and names the function, the parameter and the accepted values.
pub fn check_matype(function: &str, name: &str, code: i64) -> PolarsResult<MaType> {
    MaType::from_code(code).ok_or_else(|| {
        polars_err!(InvalidOperation:
            "{function}: {name}={code} is not supported; pass 0 (SMA), 1 (EMA), 2 (WMA), 3 (DEMA), 4 (TEMA), 5 (TRIMA) or 6 (KAMA)")
    })
}

/// Checks `penetration` as TA-Lib does (at least 0) and also refuses NaN and infinity.
pub fn check_penetration(function: &str, penetration: f64) -> PolarsResult<f64> {
    if !(penetration.is_finite() && penetration >= 0.0) {
        polars_bail!(InvalidOperation:
            "{function}: penetration={penetration} is out of range; pass a finite fraction of the first real body \
             at least 0, e.g. 0.3");
    }
    Ok(penetration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penetration_must_be_a_finite_non_negative_fraction() {
        assert_eq!(check_penetration("cdlmorningstar", 0.0).unwrap(), 0.0);
        for bad in [-0.1, f64::NAN, f64::INFINITY] {
            let err = check_penetration("cdlmorningstar", bad)
                .unwrap_err()
                .to_string();
            assert!(err.contains("cdlmorningstar: penetration="), "{err}");
        }
    }
}
