//! The pieces every pass's register tiles are built from: an element type's
//! vector and lane count, loads and stores of whole in-bounds vectors (the
//! last, overlapping vector of a row stored from its first new lane), the
//! rank-one update at the heart of the forward and dW tiles, and the stores
//! of a finished tile.
//!
//! Rules every kernel keeps:
//!
//! - No masked loads and no out-of-bounds reads: every load is of a full,
//!   in-bounds chunk, through `get`, whose checks the kernels' bounds fold
//!   away, so that no kernel has a panic path (`scripts/kernel-asm` counts
//!   them per instance).
//! - Tiles and drivers are `#[inline(always)]` only where debug assertions
//!   are off: forced inlining puts each tile's loads and FMAs in one loop
//!   body in release builds, and in test builds, with about a thousand shape
//!   and type instances, would copy every tile into every call site.

use super::epilogue::{Epilogue, Update};
use super::simd::Vector;
use crate::Element;

/// The `wide` vector of an element type.
pub(crate) type V<T> = <T as crate::element::Sealed>::Vector;

/// Lanes of `T`'s vector.
#[inline]
pub(crate) const fn lanes<T: Element>() -> usize {
    <V<T> as Vector<T>>::LANES
}

/// Loads the vector at `src[at..]`; zero if it would read past the end
/// (which the kernels' bounds rule out, so the branch folds away).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn load<T: Element>(src: &[T], at: usize) -> V<T> {
    match src.get(at..) {
        Some(rest) => V::<T>::load(rest),
        None => V::<T>::ZERO,
    }
}

/// Stores the forward's outputs `value` at `dst[at..]`, passed through
/// `epilogue`, leaving the first `skip` lanes' columns as they are.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn store_output<T: Element, E: Epilogue<T>>(
    dst: &mut [T],
    at: usize,
    skip: usize,
    value: V<T>,
    epilogue: E,
) {
    store(dst, at, skip, value, Update::Overwrite);
    if let Some(stored) = dst.get_mut(at + skip..at + lanes::<T>()) {
        for output in stored {
            *output = epilogue.apply(*output);
        }
    }
}

/// Stores `value` at `dst[at..]`, or adds it to what is there, leaving the
/// first `skip` lanes' columns as they are (see [`last_columns`]).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn store<T: Element>(dst: &mut [T], at: usize, skip: usize, value: V<T>, update: Update) {
    if let Some(rest) = dst.get_mut(at..) {
        let value = match update {
            Update::Overwrite => value,
            Update::Accumulate => V::<T>::load(rest) + value,
        };
        if skip == 0 { value.store(rest) } else { value.store_from(rest, skip) }
    }
}

/// One output the scalar way, for layers narrower than one vector.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn scalar_output<T: Element, const DIN: usize, const DOUT: usize>(
    x_row: &[T; DIN],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    column: usize,
) -> T {
    let mut sum = bias.map_or(T::ZERO, |b| b[column]);
    for (&x_k, w_row) in x_row.iter().zip(weight) {
        sum += x_k * w_row[column];
    }
    sum
}

/// Where a tile's outputs go: vectors from column `j`, except that the
/// first `skip` lanes of the first vector are computed but not stored.
#[derive(Clone, Copy)]
pub(crate) struct Columns {
    pub(crate) j: usize,
    pub(crate) skip: usize,
}

/// Rows `first .. first + R` of `rows`, if they are all there.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn block<T, const R: usize>(rows: &[T], first: usize) -> Option<&[T; R]> {
    rows.get(first..)?.first_chunk::<R>()
}

/// Rows `first .. first + R` of `rows`, mutably, if they are all there.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn block_mut<T, const R: usize>(rows: &mut [T], first: usize) -> Option<&mut [T; R]> {
    rows.get_mut(first..)?.first_chunk_mut::<R>()
}

/// One step of a register tile's inner loop: row `r` of the accumulators
/// gains `a_r · b`, one broadcast of `a_r` and one FMA per vector of `b`.
/// Rows past the end of `a` are left alone. The forward passes a column
/// of X and a row of W; dW a row of Xᵀ and a row of dY.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn rank_one_update<T: Element, const R: usize, const N: usize>(
    acc: &mut [[V<T>; N]; R],
    a: impl IntoIterator<Item = T>,
    b: &[V<T>; N],
) {
    for (acc_row, a_r) in acc.iter_mut().zip(a) {
        let a_r = V::<T>::splat(a_r);
        for (acc_v, &b_v) in acc_row.iter_mut().zip(b) {
            *acc_v = a_r.mul_add(b_v, *acc_v);
        }
    }
}

/// Stores a forward tile into Y at `columns`: through the epilogue when
/// `finish`, as bare partial sums when more packed blocks are to come.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn store_forward_tile<T: Element, E: Epilogue<T>, const R: usize, const N: usize, const DOUT: usize>(
    acc: &[[V<T>; N]; R],
    y: &mut [[T; DOUT]; R],
    columns: Columns,
    finish: bool,
    epilogue: E,
) {
    if !finish {
        return store_tile(acc, y, columns, Update::Overwrite);
    }
    for (acc_row, y_row) in acc.iter().zip(y.iter_mut()) {
        for (v, &acc_v) in acc_row.iter().enumerate() {
            let skip = if v == 0 { columns.skip } else { 0 };
            store_output(y_row, columns.j + v * lanes::<T>(), skip, acc_v, epilogue);
        }
    }
}

/// Stores a tile of accumulators at `columns` of its rows, or adds it to
/// what is there, as `update` says: dW's tiles, the forward's partial
/// sums between packed blocks, and db's tiles (one row).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn store_tile<T: Element, const R: usize, const N: usize, const DOUT: usize>(
    acc: &[[V<T>; N]; R],
    rows: &mut [[T; DOUT]; R],
    columns: Columns,
    update: Update,
) {
    for (acc_row, row) in acc.iter().zip(rows.iter_mut()) {
        for (v, &acc_v) in acc_row.iter().enumerate() {
            let skip = if v == 0 { columns.skip } else { 0 };
            store(row, columns.j + v * lanes::<T>(), skip, acc_v, update);
        }
    }
}
