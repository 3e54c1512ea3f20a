//! Wrappers of the directional movement indicators: ADX, +DI and -DI.

use polars::prelude::*;
use pyo3_polars::derive::polars_expr;

use super::TimePeriodKwargs;
use crate::columns::{compute, compute_recurrence};
use crate::directional;
use crate::params::check_period;

recurrence_period!(adx, 2, directional::adx, directional::Adx::new, [h, l, c; 3]);
hlc_period!(plus_di, 1, directional::plus_di);
hlc_period!(minus_di, 1, directional::minus_di);
