//! TA-Lib-exact technical indicators as a Polars expression plugin.
//!
//! `expressions` holds only the `#[polars_expr]` wrappers; the pure kernels live in per-family modules and
//! know nothing of Polars.

mod alloc;
pub mod bands;
mod blocks;
mod candle_columns;
mod candle_expressions;
pub mod candles;
mod columns;
pub mod directional;
mod dispatch;
mod expressions;
mod grouping;
pub mod momentum;
pub mod oscillators;
pub mod overlap;
mod params;
pub mod recurrence;
pub mod segments;
mod sqlite_read;
pub mod stochastic;
pub mod volatility;
pub mod volume;

use pyo3::prelude::*;

// The unit tests link libpython themselves: they are built with the extension module's pyo3 configuration
// (one polars build serves `make build` and `make rust-test`), under which pyo3 leaves it to the interpreter.
#[cfg(test)]
#[link(name = "python3.11")]
unsafe extern "C" {}

#[pymodule]
fn _internal(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(sqlite_read::read_sqlite_bars, m)?)?;
    m.add_function(wrap_pyfunction!(sqlite_read::sqlite_native_available, m)?)?;
    m.add_function(wrap_pyfunction!(alloc::allocated_bytes, m)?)?;
    Ok(())
}
