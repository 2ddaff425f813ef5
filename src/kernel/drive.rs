//! The walks that place the tiles: blocks of rows whose count is a
//! compile-time constant (so that the accumulators are a fixed array the
//! compiler keeps in registers), tiles of columns left to right, and dX's
//! blocks of batch rows and of rows of W.
//!
//! Tails: rows run as full `FORWARD_ROWS` tiles, then 4, 2 and 1 (with
//! 6-row tiles, 6 + 2 leftover rows run as 4 + 4, not as a 2-row tile that
//! waits on FMA latency). Columns run as full panels, then one-vector tiles,
//! then the last few columns as one vector ending at the last column,
//! overlapping columns already done, whose overlapping lanes are computed
//! and not stored. Only a layer narrower than one vector has scalar columns.

use super::backend::{DX_ROWS, FORWARD_ROWS};
use super::micro::{Columns, lanes};
use crate::Element;

/// The columns from `j` to the end when fewer than a vector remain: one
/// vector ending at the last column, whose first lanes overlap columns
/// already done and are computed but not stored. The wasted lanes cost far
/// less than scalar columns, each one chain of dependent adds. `None` when
/// no column is left, or when the layer is narrower than one vector (those
/// columns stay scalar).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn last_columns<T: Element, const DOUT: usize>(j: usize) -> Option<Columns> {
    let start = DOUT.checked_sub(lanes::<T>())?;
    (j < DOUT).then(|| Columns { j: start, skip: j.saturating_sub(start) })
}

/// A kernel over the columns of its outputs (of Y, or of dW), which
/// [`for_each_column_block`] walks from left to right.
pub(crate) trait ColumnTile {
    /// Computes `N` vectors of outputs at `columns`.
    fn tile<const N: usize>(&mut self, columns: Columns);
    /// Computes the single output column `column` the scalar way: only in
    /// layers narrower than one vector.
    fn column(&mut self, column: usize);
}

/// Runs `kernel` over the columns `from .. DOUT`: tiles of `WIDE` vectors
/// (and of two, see [`column_tiles`]), then of one vector, then the last few
/// columns as one vector that ends at the last column (see
/// [`last_columns`]), or scalar columns when the layer is narrower than one
/// vector.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn for_each_column_block<T: Element, K: ColumnTile, const WIDE: usize, const DOUT: usize>(
    from: usize,
    kernel: &mut K,
) {
    let lanes = lanes::<T>();
    let (wide, pairs) = column_tiles(DOUT.saturating_sub(from) / lanes, WIDE);
    let mut j = from;
    for _ in 0..wide {
        kernel.tile::<WIDE>(Columns { j, skip: 0 });
        j += WIDE * lanes;
    }
    // Only three-wide panels leave pairs. The constant test keeps every
    // other width from compiling a two-vector tile it would never run.
    if WIDE == 3 {
        for _ in 0..pairs {
            kernel.tile::<2>(Columns { j, skip: 0 });
            j += 2 * lanes;
        }
    }
    while j + lanes <= DOUT {
        kernel.tile::<1>(Columns { j, skip: 0 });
        j += lanes;
    }
    match last_columns::<T, DOUT>(j) {
        Some(columns) => kernel.tile::<1>(columns),
        None => {
            for column in j..DOUT {
                kernel.column(column);
            }
        }
    }
}

/// How many tiles of `wide` vectors and of two vectors to run over
/// `vectors` whole vectors of columns; one-vector tiles take the rest.
///
/// Tiles of three vectors leave one or two vectors over in two cases of
/// three. A one-vector tile has a third of the FMA chains and loads as
/// many rows of the other operand for each, so the last three or four
/// vectors run as tiles of two instead: 16 vectors as 3 + 3 + 3 + 3 + 2 + 2,
/// not five threes and a one. Other widths run as many whole tiles as fit.
/// Measurements: BENCHMARKS.md.
#[inline]
pub(crate) const fn column_tiles(vectors: usize, wide: usize) -> (usize, usize) {
    if wide != 3 {
        return (vectors / wide, 0);
    }
    match vectors % 3 {
        1 if vectors >= 4 => (vectors / 3 - 1, 2),
        2 => (vectors / 3, 1),
        _ => (vectors / 3, 0),
    }
}

// Row blocks.
//
// Every tiled kernel walks its rows (of X and Y, or of dW) in blocks whose
// row count is a compile-time constant, so that the accumulators are a
// fixed array the compiler keeps in registers. One driver makes the split.

/// A tile kernel over blocks of rows.
pub(crate) trait RowTile {
    /// Computes the block of `R` rows whose first is row `first`.
    fn tile<const R: usize>(&mut self, first: usize);
}

/// Runs `kernel` over `rows` rows: blocks of `FORWARD_ROWS`, then 4, 2 and
/// 1, except that with 6-row tiles 6 + 2 leftover rows run as 4 + 4 (two
/// tiles of 8 FMA chains each, rather than one of 12 and one of 4 that
/// waits on FMA latency).
#[cfg_attr(not(debug_assertions), inline(always))]
#[allow(clippy::modulo_one, reason = "FORWARD_ROWS is 1 on the scalar backend, which never runs the tiles")]
pub(crate) fn for_each_row_block<K: RowTile>(rows: usize, kernel: &mut K) {
    let mut full = rows / FORWARD_ROWS * FORWARD_ROWS;
    if FORWARD_ROWS == 6 && rows % FORWARD_ROWS == 2 && full > 0 {
        full -= FORWARD_ROWS;
    }
    let mut first = 0;
    while first < full {
        kernel.tile::<FORWARD_ROWS>(first);
        first += FORWARD_ROWS;
    }
    while first + 4 <= rows {
        kernel.tile::<4>(first);
        first += 4;
    }
    if first + 2 <= rows {
        kernel.tile::<2>(first);
        first += 2;
    }
    if first < rows {
        kernel.tile::<1>(first);
    }
}

/// A kernel over blocks of batch rows, which [`for_each_batch_block`]
/// walks from top to bottom.
pub(crate) trait BatchRowBlock<T, const DIN: usize, const DOUT: usize> {
    /// Computes the block of `R` rows `dy`, `dx`.
    fn tile<const R: usize>(&mut self, dy: &[[T; DOUT]; R], dx: &mut [[T; DIN]; R]);
}

/// Runs `kernel` over the rows of `dy` and `dx` (the same number): blocks
/// of `DX_ROWS` rows, then of 4 where the tile is taller, then 2 and 1.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn for_each_batch_block<T, K: BatchRowBlock<T, DIN, DOUT>, const DIN: usize, const DOUT: usize>(
    dy: &[[T; DOUT]],
    dx: &mut [[T; DIN]],
    kernel: &mut K,
) {
    let (dy, dx) = batch_blocks::<T, K, DX_ROWS, DIN, DOUT>(dy, dx, kernel);
    let (dy, dx) = batch_blocks::<T, K, { if DX_ROWS > 4 { 4 } else { DX_ROWS } }, DIN, DOUT>(dy, dx, kernel);
    let (dy, dx) = batch_blocks::<T, K, 2, DIN, DOUT>(dy, dx, kernel);
    batch_blocks::<T, K, 1, DIN, DOUT>(dy, dx, kernel);
}

/// `kernel` on each whole block of `R` rows; returns the rows left over.
#[cfg_attr(not(debug_assertions), inline(always))]
fn batch_blocks<'dy, 'dx, T, K: BatchRowBlock<T, DIN, DOUT>, const R: usize, const DIN: usize, const DOUT: usize>(
    dy: &'dy [[T; DOUT]],
    dx: &'dx mut [[T; DIN]],
    kernel: &mut K,
) -> (&'dy [[T; DOUT]], &'dx mut [[T; DIN]]) {
    let (dy_blocks, dy_rest) = dy.as_chunks::<R>();
    let (dx_blocks, dx_rest) = dx.as_chunks_mut::<R>();
    for (dy_block, dx_block) in dy_blocks.iter().zip(dx_blocks.iter_mut()) {
        kernel.tile::<R>(dy_block, dx_block);
    }
    (dy_rest, dx_rest)
}

/// A kernel over blocks of rows of W, which [`for_each_weight_block`]
/// walks from top to bottom.
pub(crate) trait WeightRowBlock<T, const DOUT: usize> {
    /// Computes with `w_rows`, the `I` rows of W from row `first` on.
    fn rows<const I: usize>(&mut self, w_rows: &[[T; DOUT]; I], first: usize);
}

/// Runs `kernel` over the rows `from ..` of W: blocks of `I` rows, then
/// one at a time.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn for_each_weight_block<
    T,
    K: WeightRowBlock<T, DOUT>,
    const I: usize,
    const DIN: usize,
    const DOUT: usize,
>(
    weight: &[[T; DOUT]; DIN],
    from: usize,
    kernel: &mut K,
) {
    let Some(weight) = weight.get(from..) else { return };
    let (w_blocks, w_tail) = weight.as_chunks::<I>();
    for (block, w_rows) in w_blocks.iter().enumerate() {
        kernel.rows::<I>(w_rows, from + block * I);
    }
    let tail_from = from + w_blocks.len() * I;
    for (offset, w_row) in w_tail.iter().enumerate() {
        kernel.rows::<1>(core::array::from_ref(w_row), tail_from + offset);
    }
}

#[cfg(test)]
mod tests {
    use crate::kernel::drive::column_tiles;

    /// Tiles of three vectors cover every count of vectors but one with
    /// tiles of three and two, never more than two of two and never more
    /// vectors than there are; other widths run whole tiles and leave
    /// fewer vectors than a tile to one-vector tiles.
    #[test]
    fn column_tiles_cover_the_vectors_without_one_vector_tiles_where_they_can() {
        for vectors in 0..200 {
            let (threes, twos) = column_tiles(vectors, 3);
            assert!(twos <= 2, "{vectors} vectors: {twos} tiles of two");
            let covered = 3 * threes + 2 * twos;
            let left = vectors.checked_sub(covered).expect("more vectors than there are");
            assert_eq!(left, usize::from(vectors == 1), "{vectors} vectors: {threes} × 3 + {twos} × 2");
            for wide in [1, 2, 4] {
                let (whole, pairs) = column_tiles(vectors, wide);
                assert_eq!((pairs, vectors - wide * whole < wide), (0, true), "{vectors} vectors, {wide} wide");
            }
        }
        assert_eq!(column_tiles(16, 3), (4, 2));
        assert_eq!(column_tiles(8, 3), (2, 1));
        assert_eq!(column_tiles(4, 3), (0, 2));
    }
}
