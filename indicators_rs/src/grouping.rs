//! The groups of a `by` column, with the semantics of `.over`: rows with equal keys form one series, in row
//! order, wherever they sit in the frame.
//!
//! Data sorted (or only clustered) by symbol is the usual case: each key's rows are one contiguous block and
//! the kernels run on the blocks in place. Otherwise the rows are gathered group by group into scratch
//! columns, computed there and scattered back to their rows.

use std::hash::Hash;

use polars::prelude::*;

use crate::blocks::segment_bounds;

/// How the rows of a `by` column fall into groups.
#[derive(Debug, PartialEq, Eq)]
pub enum Groups {
    /// Every group is one block of rows: group `g` is rows `bounds[g]..bounds[g + 1]`.
    Contiguous(Vec<usize>),
    /// Some key comes back after other keys: gathered row `k` is frame row `order[k]`, groups follow in order
    /// of first appearance, each in row order, and `bounds` cuts the gathered rows into groups.
    Gathered {
        order: Vec<IdxSize>,
        bounds: Vec<usize>,
    },
}

impl Groups {
    /// Groups of a frame of `n` rows without a `by` column: one.
    pub fn whole(n: usize) -> Self {
        Groups::Contiguous(vec![0, n])
    }
}

/// Finds the groups of `by`; a null key is a group of its own, as in `.over`.
///
/// Only the first key of each block of equal consecutive keys is hashed, so sorted data costs one scan.
pub fn groups(function: &str, by: &Series) -> PolarsResult<Groups> {
    let n = by.len();
    let Some(blocks) = segment_bounds(function, by, (n / 16).max(16))? else {
        // Rows interleaved (bars in time order): every row is hashed instead.
        let (group_of_row, groups) = dense_ids(function, by)?;
        let changes = group_of_row.windows(2).filter(|w| w[0] != w[1]).count();
        if changes + 1 == groups {
            // Still one block per group, only very many of them.
            let mut bounds = vec![0];
            bounds.extend((1..n).filter(|&i| group_of_row[i] != group_of_row[i - 1]));
            bounds.push(n);
            return Ok(Groups::Contiguous(bounds));
        }
        return Ok(gather_rows(&group_of_row, groups));
    };
    let count = blocks.len().saturating_sub(1);
    if count <= 1 {
        return Ok(Groups::Contiguous(blocks));
    }
    let starts: Vec<IdxSize> = blocks[..count].iter().map(|&b| b as IdxSize).collect();
    let (group_of_block, groups) = dense_ids(function, &by.take_slice(&starts)?)?;
    if groups == count {
        return Ok(Groups::Contiguous(blocks));
    }
    Ok(gather_blocks(&blocks, &group_of_block, groups))
}

/// Lays the blocks out group by group: each group's blocks in row order, groups in order of their ids.
fn gather_blocks(blocks: &[usize], group_of_block: &[u32], groups: usize) -> Groups {
    let mut bounds = vec![0usize; groups + 1];
    for (block, &group) in group_of_block.iter().enumerate() {
        bounds[group as usize + 1] += blocks[block + 1] - blocks[block];
    }
    for g in 0..groups {
        bounds[g + 1] += bounds[g];
    }
    let mut cursor = bounds[..groups].to_vec();
    let mut order = vec![0 as IdxSize; blocks.last().copied().unwrap_or(0)];
    for (block, &group) in group_of_block.iter().enumerate() {
        let at = &mut cursor[group as usize];
        for row in blocks[block]..blocks[block + 1] {
            order[*at] = row as IdxSize;
            *at += 1;
        }
    }
    Groups::Gathered { order, bounds }
}

/// Lays the rows out group by group (a counting sort of their group ids), each group in row order.
fn gather_rows(group_of_row: &[u32], groups: usize) -> Groups {
    let mut bounds = vec![0usize; groups + 1];
    for &group in group_of_row {
        bounds[group as usize + 1] += 1;
    }
    for g in 0..groups {
        bounds[g + 1] += bounds[g];
    }
    let mut cursor = bounds[..groups].to_vec();
    let mut order = vec![0 as IdxSize; group_of_row.len()];
    for (row, &group) in group_of_row.iter().enumerate() {
        let at = &mut cursor[group as usize];
        order[*at] = row as IdxSize;
        *at += 1;
    }
    Groups::Gathered { order, bounds }
}

/// Copies the values of `column` at `rows` into `into` (cleared first).
pub fn gather_into<T: Copy>(rows: &[IdxSize], column: &[T], into: &mut Vec<T>) {
    into.clear();
    into.extend(rows.iter().map(|&row| column[row as usize]));
}

/// Writes `values` back at their frame `rows` of `out`.
pub fn scatter_into<T: Copy>(rows: &[IdxSize], values: &[T], out: &mut [T]) {
    for (&row, &value) in rows.iter().zip(values) {
        out[row as usize] = value;
    }
}

/// Numbers the distinct keys 0, 1, ... in order of first appearance; returns each row's number and the count.
fn dense<K: Hash + Eq>(keys: impl Iterator<Item = K>) -> (Vec<u32>, usize) {
    let mut seen: PlHashMap<K, u32> = PlHashMap::default();
    let ids = keys
        .map(|key| {
            let next = seen.len() as u32;
            *seen.entry(key).or_insert(next)
        })
        .collect();
    (ids, seen.len())
}

/// The bits of a float key, with -0.0 read as 0.0 and every NaN as one NaN (as Polars groups them).
fn canonical_bits(value: f64) -> u64 {
    if value == 0.0 {
        0
    } else if value.is_nan() {
        f64::NAN.to_bits()
    } else {
        value.to_bits()
    }
}

/// Dense group ids of any key column Polars can group by: strings, integers, floats, booleans, temporal,
/// categorical, decimal and structs of them (several keys).
fn dense_ids(function: &str, keys: &Series) -> PolarsResult<(Vec<u32>, usize)> {
    let physical = keys.to_physical_repr();
    let keys = physical.as_ref();
    Ok(match keys.dtype() {
        DataType::Null => (vec![0; keys.len()], usize::from(!keys.is_empty())),
        DataType::String => dense(keys.str()?.iter()),
        DataType::Binary => dense(keys.binary()?.iter()),
        DataType::Boolean => dense(keys.bool()?.iter()),
        DataType::Float32 | DataType::Float64 => {
            let floats = keys.cast(&DataType::Float64)?;
            dense(floats.f64()?.iter().map(|v| v.map(canonical_bits)))
        }
        DataType::UInt128 => dense(keys.cast(&DataType::String)?.str()?.iter()),
        dtype if dtype.is_integer() => dense(keys.cast(&DataType::Int128)?.i128()?.iter()),
        DataType::Struct(_) => {
            let rows = keys.struct_()?;
            let null: Vec<bool> = keys.is_null().iter().map(|v| v.unwrap_or(false)).collect();
            let mut ids = vec![0u32; keys.len()];
            for field in rows.fields_as_series() {
                let (field_ids, _) = dense_ids(function, &field)?;
                // A null row is one group whatever its fields hold.
                let field_ids = field_ids
                    .iter()
                    .zip(&null)
                    .map(|(&id, &n)| if n { u32::MAX } else { id });
                ids = dense(ids.iter().copied().zip(field_ids)).0;
            }
            let count = ids.iter().max().map_or(0, |&m| m as usize + 1);
            (ids, count)
        }
        dtype => polars_bail!(InvalidOperation:
            "{function}: cannot group by column '{}' of dtype {dtype}; pass a string, integer, categorical or \
             temporal symbol column (several keys as separate columns)", keys.name()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(keys: &[Option<&str>]) -> Series {
        Series::new("symbol".into(), keys)
    }

    #[test]
    fn sorted_or_clustered_keys_stay_in_place() {
        let by = strings(&[Some("B"), Some("B"), Some("A"), None, None]);
        assert_eq!(
            groups("t", &by).unwrap(),
            Groups::Contiguous(vec![0, 2, 3, 5])
        );
    }

    #[test]
    fn a_key_that_comes_back_is_gathered_into_one_group() {
        let by = strings(&[Some("A"), Some("B"), Some("A"), None, Some("B"), None]);
        let Groups::Gathered { order, bounds } = groups("t", &by).unwrap() else {
            panic!("expected gathered groups");
        };
        assert_eq!(order, vec![0, 2, 1, 4, 3, 5]);
        assert_eq!(bounds, vec![0, 2, 4, 6]);
        let values = [10, 11, 12, 13, 14, 15];
        let mut gathered = Vec::new();
        gather_into(&order, &values, &mut gathered);
        assert_eq!(gathered, vec![10, 12, 11, 14, 13, 15]);
        let mut back = [0; 6];
        scatter_into(&order, &gathered, &mut back);
        assert_eq!(back, values);
    }

    #[test]
    fn interleaved_rows_are_hashed_row_by_row() {
        let keys: Vec<String> = (0..64).map(|i| format!("S{}", i % 3)).collect();
        let by = Series::new("symbol".into(), &keys);
        let Groups::Gathered { order, bounds } = groups("t", &by).unwrap() else {
            panic!("expected gathered groups");
        };
        assert_eq!(bounds, vec![0, 22, 43, 64]);
        assert!(order[..22].iter().all(|&row| row % 3 == 0));
        assert!(order[..22].windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn integer_float_and_struct_keys_group_like_polars() {
        let ints = Series::new("k".into(), &[u64::MAX, 1, u64::MAX]);
        assert!(matches!(
            groups("t", &ints).unwrap(),
            Groups::Gathered { .. }
        ));
        let floats = Series::new("k".into(), &[0.0, f64::NAN, -0.0, f64::NAN]);
        let (ids, count) = dense_ids("t", &floats).unwrap();
        assert_eq!((ids, count), (vec![0, 1, 0, 1], 2));
        let a = Series::new("a".into(), &["x", "x", "y", "x"]);
        let b = Series::new("b".into(), &[1, 2, 1, 1]);
        let keys = StructChunked::from_series("k".into(), 4, [a, b].iter())
            .unwrap()
            .into_series();
        let (ids, count) = dense_ids("t", &keys).unwrap();
        assert_eq!((ids, count), (vec![0, 1, 2, 0], 3));
    }

    #[test]
    fn unsupported_key_dtypes_name_the_fix() {
        let lists = Series::new("k".into(), &[Series::new("".into(), &[1])]);
        let err = dense_ids("rsi", &lists).unwrap_err().to_string();
        assert!(err.contains("rsi: cannot group by column 'k'"), "{err}");
    }
}
