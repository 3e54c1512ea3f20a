//! The Polars side shared by every wrapper: check and cast the inputs, find the `by` segments, run a kernel
//! without letting a panic escape, and hand back Float64 columns whose warm-up rows are null.

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};

use polars::prelude::*;
use pyo3_polars::export::polars_arrow::bitmap::{Bitmap, MutableBitmap};

use crate::grouping::{gather_into, groups, scatter_into, Groups};
use crate::recurrence::{self, Recurrence};
use crate::segments::{
    push_nan_runs, run_segments, run_valid, thread_count, CheckedRun, CheckedVariants, NanRuns,
};

/// Casts a numeric input to Float64, or says which dtype was given and what to pass instead.
///
/// A column of dtype Null (every bar missing) is accepted and gives an all-null result.
fn float_input(function: &str, s: &Series) -> PolarsResult<Float64Chunked> {
    if !(s.dtype().is_numeric() || s.dtype().is_null()) {
        polars_bail!(InvalidOperation:
            "{function}: column '{}' has dtype {}; pass a numeric (float or integer) column, e.g. cast it with .cast(pl.Float64)",
            s.name(), s.dtype());
    }
    let s = s.cast(&DataType::Float64)?;
    Ok(s.f64()?.rechunk().into_owned())
}

/// The values of a Float64 column with every null read as NaN; borrowed when there is no null.
pub fn values_with_nan(ca: &Float64Chunked) -> Cow<'_, [f64]> {
    if ca.null_count() == 0 {
        if let Ok(slice) = ca.cont_slice() {
            return Cow::Borrowed(slice);
        }
    }
    Cow::Owned(ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// The validity mask of a kernel output: false where it is NaN; none when nothing is NaN.
///
/// `runs` are the output's NaN rows when the walk noted them; otherwise the output is scanned, run by run
/// (warm-up and gaps come in runs), so a clean output costs one scan and no bitmap.
fn validity(values: &[f64], runs: Option<NanRuns>) -> Option<Bitmap> {
    let n = values.len();
    let runs = runs.unwrap_or_else(|| {
        let mut runs = Vec::new();
        push_nan_runs(values, 0, &mut runs);
        runs
    });
    if runs.is_empty() {
        return None;
    }
    let mut mask = MutableBitmap::with_capacity(n);
    for run in runs {
        mask.extend_constant(run.start - mask.len(), true);
        mask.extend_constant(run.len(), false);
    }
    mask.extend_constant(n - mask.len(), true);
    Some(mask.into())
}

/// Turns a kernel output (NaN for warm-up and missing bars) into a Float64 column with nulls there.
fn into_column(name: PlSmallStr, values: Vec<f64>, runs: Option<NanRuns>) -> Float64Chunked {
    let mask = validity(&values, runs);
    Float64Chunked::from_vec_validity(name, values, mask)
}

/// An output buffer of `n` rows, zeroed, that the kernels then fill completely. Zeroed, not uninitialised:
/// handing a kernel `&mut [f64]` over uninitialised memory is undefined behaviour however it is written. It
/// costs almost nothing: a zeroed allocation is Polars' allocator's `alloc_zeroed` (calloc), whose fresh
/// pages come from the kernel already zero, so no extra pass runs over the output before the kernel's.
fn output_buffer(n: usize) -> Vec<f64> {
    vec![0.0; n]
}

/// Runs `kernel` over the first `I` inputs, cast to Float64, and returns `O` Float64 columns.
///
/// An extra last input is the `by` column: each group of equal keys is then computed on its own, in row
/// order, as `.over` would (see `grouping`). Bars where any input is null or non-finite are missing bars
/// (see `segments`). A panic in a kernel becomes a Polars error instead of crossing into Python.
pub fn compute<const I: usize, const O: usize, K>(
    function: &str,
    inputs: &[Series],
    kernel: K,
) -> PolarsResult<[Float64Chunked; O]>
where
    K: Fn([&[f64]; I], [&mut [f64]; O]) + Sync,
{
    compute_with(function, inputs, &kernel, CheckedVariants::default())
}

/// [`compute`] with another way to run one long series (over several threads, or with its checks fused
/// into the kernel): `split` computes the whole series, or reports a missing bar (outputs unspecified).
pub fn compute_split<const I: usize, const O: usize, K, L>(
    function: &str,
    inputs: &[Series],
    kernel: K,
    split: L,
) -> PolarsResult<[Float64Chunked; O]>
where
    K: Fn([&[f64]; I], [&mut [f64]; O]) + Sync,
    L: Fn([&[f64]; I], [&mut [f64]; O]) -> CheckedRun<O> + Sync,
{
    let checked = CheckedVariants {
        segment: None,
        long_series: Some(&split),
    };
    compute_with(function, inputs, &kernel, checked)
}

/// [`compute`] for a kernel written as a [`Recurrence`]: one long series then runs on two cores (see
/// `recurrence`), with the same result.
pub fn compute_recurrence<const I: usize, const O: usize, const S: usize, R>(
    function: &str,
    inputs: &[Series],
    r: &R,
) -> PolarsResult<[Float64Chunked; O]>
where
    R: Recurrence<I, O, S>,
{
    let kernel = |ins: [&[f64]; I], outs: [&mut [f64]; O]| recurrence::run(r, ins, outs);
    let segment = |ins: [&[f64]; I], outs: [&mut [f64]; O]| recurrence::run_checked(r, ins, outs);
    let long_series = |ins: [&[f64]; I], outs: [&mut [f64]; O]| {
        let n = ins.first().map_or(0, |c| c.len());
        if recurrence::worth_splitting(r, n) {
            recurrence::run_split(r, ins, outs)
        } else {
            recurrence::run_checked(r, ins, outs)
        }
    };
    let checked = CheckedVariants {
        segment: Some(&segment),
        long_series: Some(&long_series),
    };
    compute_with(function, inputs, &kernel, checked)
}

/// [`compute`] with the kernel's checked variants, when it has them (see `segments::CheckedVariants`).
fn compute_with<const I: usize, const O: usize, K>(
    function: &str,
    inputs: &[Series],
    kernel: &K,
    checked: CheckedVariants<'_, I, O>,
) -> PolarsResult<[Float64Chunked; O]>
where
    K: Fn([&[f64]; I], [&mut [f64]; O]) + Sync,
{
    if inputs.len() != I && inputs.len() != I + 1 {
        polars_bail!(InvalidOperation:
            "{function}: expected {I} input column(s) (plus an optional `by` column), got {}; call it through indicators_rs", inputs.len());
    }
    let n = inputs[0].len();
    for s in inputs {
        if s.len() != n {
            polars_bail!(ShapeMismatch:
                "{function}: input columns have different lengths ('{}' has {}, '{}' has {}); pass columns of the same frame",
                inputs[0].name(), n, s.name(), s.len());
        }
    }
    let columns = inputs[..I]
        .iter()
        .map(|s| float_input(function, s))
        .collect::<PolarsResult<Vec<_>>>()?;
    let values: Vec<Cow<'_, [f64]>> = columns.iter().map(values_with_nan).collect();
    let groups = match inputs.get(I) {
        Some(by) => groups(function, by)?,
        None => Groups::whole(n),
    };
    let (outs, runs) = match groups {
        Groups::Contiguous(bounds) => {
            let ins: [&[f64]; I] = std::array::from_fn(|k| &values[k][..]);
            run_kernel(function, ins, &bounds, kernel, checked)?
        }
        Groups::Gathered { order, bounds } => (
            run_gathered(function, &values, &order, &bounds, kernel)?,
            None,
        ),
    };
    let name = inputs[0].name().clone();
    let mut noted = runs.map(|runs| runs.into_iter());
    Ok(outs.map(|values| {
        let runs = noted.as_mut().and_then(Iterator::next);
        into_column(name.clone(), values, runs)
    }))
}

/// Runs `kernel` group by group when some symbol's rows are spread over the frame: each group's rows are
/// copied into scratch columns, computed there and written back, so memory stays near the output's size.
fn run_gathered<const I: usize, const O: usize, K>(
    function: &str,
    values: &[Cow<'_, [f64]>],
    order: &[IdxSize],
    bounds: &[usize],
    kernel: &K,
) -> PolarsResult<[Vec<f64>; O]>
where
    K: Fn([&[f64]; I], [&mut [f64]; O]) + Sync,
{
    // Every row is written: `order` is a permutation of the rows.
    let mut outs: [Vec<f64>; O] = std::array::from_fn(|_| output_buffer(order.len()));
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut ins: [Vec<f64>; I] = std::array::from_fn(|_| Vec::new());
        let mut results: [Vec<f64>; O] = std::array::from_fn(|_| Vec::new());
        for group in bounds.windows(2) {
            let rows = &order[group[0]..group[1]];
            for (column, scratch) in values.iter().zip(ins.iter_mut()) {
                gather_into(rows, column, scratch);
            }
            for scratch in results.iter_mut() {
                scratch.resize(rows.len(), 0.0);
            }
            run_valid(
                ins.each_ref().map(|c| &c[..]),
                results.each_mut().map(|c| &mut c[..]),
                kernel,
            );
            for (out, scratch) in outs.iter_mut().zip(&results) {
                scatter_into(rows, scratch, out);
            }
        }
    }));
    result.map_err(|_| kernel_panicked(function))?;
    Ok(outs)
}

/// The error a kernel's panic becomes.
fn kernel_panicked(function: &str) -> PolarsError {
    polars_err!(ComputeError:
        "{function}: internal error in the indicator kernel; please report it with the input that caused it")
}

/// Kernel outputs, and each one's NaN rows when the walk noted them.
type Computed<const O: usize> = ([Vec<f64>; O], Option<[NanRuns; O]>);

/// Runs `kernel` over each segment `bounds[s]..bounds[s + 1]` of `ins` on fresh output buffers, turning a
/// panic into a Polars error.
fn run_kernel<const I: usize, const O: usize, K>(
    function: &str,
    ins: [&[f64]; I],
    bounds: &[usize],
    kernel: &K,
    checked: CheckedVariants<'_, I, O>,
) -> PolarsResult<Computed<O>>
where
    K: Fn([&[f64]; I], [&mut [f64]; O]) + Sync,
{
    let n = bounds.last().copied().unwrap_or(0);
    let mut outs: [Vec<f64>; O] = std::array::from_fn(|_| output_buffer(n));
    let result = catch_unwind(AssertUnwindSafe(|| {
        let outs_mut = outs.each_mut().map(|o| &mut o[..]);
        run_segments(ins, outs_mut, bounds, thread_count(), kernel, checked)
    }));
    let runs = result.map_err(|_| kernel_panicked(function))?;
    Ok((outs, runs))
}

/// Packs several Float64 columns into one Struct column named after the first input.
pub fn into_struct(name: PlSmallStr, fields: &[(&str, Float64Chunked)]) -> PolarsResult<Series> {
    let n = fields.first().map_or(0, |(_, ca)| ca.len());
    let series: Vec<Series> = fields
        .iter()
        .map(|(field, ca)| {
            ca.clone()
                .with_name(PlSmallStr::from_str(field))
                .into_series()
        })
        .collect();
    Ok(StructChunked::from_series(name, n, series.iter())?.into_series())
}

/// The output Field of a Struct of Float64 fields named `names`.
pub fn struct_field(input_fields: &[Field], names: &[&str]) -> PolarsResult<Field> {
    let fields = names
        .iter()
        .map(|name| Field::new(PlSmallStr::from_str(name), DataType::Float64))
        .collect();
    let name = input_fields
        .first()
        .map_or_else(|| PlSmallStr::from_static("ta"), |f| f.name().clone());
    Ok(Field::new(name, DataType::Struct(fields)))
}
