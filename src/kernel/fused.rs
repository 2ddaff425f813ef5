//! The backward's one-pass kernels, `dX = dY·Wᵀ` and `dW = Xᵀ·dY`
//! together: at batch 1, and for batches too small to pack
//! (`tuning::few_rows_one_pass`), each block of rows of W gives its dX dot
//! tiles and then the same rows of dW, so that W is read and dW written in
//! one pass, each block of dW while that part of X is at hand. The tiles
//! are the two passes' own, so the results are the same to the bit.

use super::backend::DX_COLS;
use super::drive::{WeightRowBlock, for_each_column_block, for_each_weight_block, last_columns};
use super::dw::{DwBlock, dw_last_columns, dw_outer_product};
use super::dx::{DxRows, DxTile, GEMV_W_ROWS, backward_input, row_dot};
use super::epilogue::Update;
use super::micro::{V, block, block_mut, lanes, store};
use super::simd::Vector;
use super::tuning::{runs_row_by_row, weight_beyond_l1};
use crate::Element;

/// `dx = dy·Wᵀ` and `dW = Xᵀ·dy` for batches too small to pack (2 to
/// `2 · FORWARD_ROWS - 1` rows), in one pass over W and dW: each block of
/// `DX_COLS` rows of W gives its dot tiles for every batch row, then the
/// same rows of dW are written while that part of X is at hand. One after
/// the other, the two passes would each stream a whole matrix, and W and
/// dW together need not fit L2.
///
/// dW's tiles here are `DX_COLS` rows × `FEW_ROWS_DW_VECTORS` vectors, 8
/// accumulator chains. The tiles are the two passes' own, so the
/// results are the same to the bit. Measurements: BENCHMARKS.md.
pub(crate) fn dx_dw_few_rows<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    dy: &[[T; DOUT]],
    weight: &[[T; DOUT]; DIN],
    dx: &mut [[T; DIN]],
    dw: &mut [[T; DOUT]; DIN],
    update: Update,
) {
    // dX over the rows dY and dX share; dW over those of X and dY.
    let rows = dy.len().min(dx.len());
    let (Some(dy_rows), Some(dx)) = (dy.get(..rows), dx.get_mut(..rows)) else { return };
    let mut blocks = DxDwFewRows { dx_rows: DxRows { dy: dy_rows, dx }, x, dy, dw, update };
    for_each_weight_block::<T, _, DX_COLS, DIN, DOUT>(weight, 0, &mut blocks);
}

/// Vectors per dW tile in [`dx_dw_few_rows`]: with `DX_COLS` rows of dW,
/// 8 accumulator chains, where dW's usual two-vector tiles would have 4.
/// Measurements: BENCHMARKS.md.
pub(crate) const FEW_ROWS_DW_VECTORS: usize = 4;

/// dX's dot tiles for a block of W, then the same rows of dW.
struct DxDwFewRows<'a, T, const DIN: usize, const DOUT: usize> {
    dx_rows: DxRows<'a, T, DIN, DOUT>,
    x: &'a [[T; DIN]],
    dy: &'a [[T; DOUT]],
    dw: &'a mut [[T; DOUT]; DIN],
    update: Update,
}

impl<T: Element, const DIN: usize, const DOUT: usize> WeightRowBlock<T, DOUT> for DxDwFewRows<'_, T, DIN, DOUT> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn rows<const I: usize>(&mut self, w_rows: &[[T; DOUT]; I], first: usize) {
        self.dx_rows.rows(w_rows, first);
        let Self { x, dy, update, .. } = *self;
        if let Some(dw_rows) = block_mut::<_, I>(self.dw, first) {
            let mut tiles = DwBlock { x, dy, dw_rows, first, update };
            for_each_column_block::<T, _, FEW_ROWS_DW_VECTORS, DOUT>(0, &mut tiles);
        }
    }
}

/// `dx = dy·Wᵀ` and `dW = x ⊗ dy` for one batch row. Both walk the rows
/// of W and dW in the same order, so where W fits L1 they run as one pass:
/// a dot tile's rows of W, then the same rows of dW, while that part of x
/// is at hand.
///
/// Where W is larger than L1 (`tuning::weight_beyond_l1`), two passes:
/// dX's dot tiles, then dW's outer product with one row per loop iteration
/// (see `tuning::keep_loop_rolled`), each a stream the prefetcher follows.
///
/// Where W is larger and its rows long (see `tuning::runs_row_by_row`), one
/// pass again, but a row at a time: `dx[i] = dy · W[i]` (`dx::row_dot`) and
/// `dW[i] = x[i] · dy` in the same loop, from the same loads of dy, so W is
/// read and dW written in one ascending stream each, a few hundred bytes
/// of each per loop iteration: the reads of one overlap the writes of the
/// other. Measurements: BENCHMARKS.md.
pub(crate) fn dx_dw_one_row<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[T; DIN],
    dy: &[T; DOUT],
    weight: &[[T; DOUT]; DIN],
    dx: &mut [T; DIN],
    dw: &mut [[T; DOUT]; DIN],
    update: Update,
) {
    if const { runs_row_by_row::<T, DIN, DOUT>() } {
        let tail = last_columns::<T, DOUT>(DOUT / lanes::<T>() * lanes::<T>());
        for (((&x_i, w_row), dw_row), dx_i) in x.iter().zip(weight).zip(dw.iter_mut()).zip(dx.iter_mut()) {
            let x_v = V::<T>::splat(x_i);
            let last = dw_last_columns(tail, x_v, dy, dw_row, update);
            *dx_i = row_dot::<T, DIN, DOUT>(dy, w_row, |at, dy_v| store(dw_row, at, 0, x_v * dy_v, update));
            if let Some((j, value)) = last {
                store(dw_row, j, 0, value, Update::Overwrite);
            }
        }
        return;
    }
    if const { weight_beyond_l1::<T, DIN, DOUT>() } {
        backward_input(core::slice::from_ref(dy), weight, core::slice::from_mut(dx));
        dw_outer_product(x, dy, dw, update);
        return;
    }
    let dx_tile = DxTile { dy: core::array::from_ref(dy), dx: core::array::from_mut(dx) };
    let mut blocks = DxDwOneRow { dx_tile, x, dw, update };
    for_each_weight_block::<T, _, GEMV_W_ROWS, DIN, DOUT>(weight, 0, &mut blocks);
}

/// dX's dot tile for a block of W, then the same rows of dW, at batch 1.
struct DxDwOneRow<'a, T, const DIN: usize, const DOUT: usize> {
    dx_tile: DxTile<'a, T, 1, DIN, DOUT>,
    x: &'a [T; DIN],
    dw: &'a mut [[T; DOUT]; DIN],
    update: Update,
}

impl<T: Element, const DIN: usize, const DOUT: usize> WeightRowBlock<T, DOUT> for DxDwOneRow<'_, T, DIN, DOUT> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn rows<const I: usize>(&mut self, w_rows: &[[T; DOUT]; I], first: usize) {
        self.dx_tile.rows(w_rows, first);
        if let (Some(x_part), Some(dw_rows)) = (block::<_, I>(self.x, first), block_mut::<_, I>(self.dw, first)) {
            dw_outer_product::<T, I, DOUT>(x_part, &self.dx_tile.dy[0], dw_rows, self.update);
        }
    }
}
