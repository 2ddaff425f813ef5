//! `dW = Xᵀ·dY`: the forward's tile with the batch as its k-loop, each tile
//! of dW held in registers for the whole batch and stored (or added) once;
//! at batch 1 the outer product `x ⊗ dy`, row by row.
//!
//! Loop nest: rows of dW in row tiles (`drive::for_each_row_block`), then
//! column tiles of `DW_VECTORS` vectors (`drive::for_each_column_block`),
//! then the batch. For large batches and weights (`tuning::dw_packs`), full
//! column panels of dY are packed first, sixteen at a time, with each row
//! tile's slice of X copied once for all of them; the columns past the last
//! full panel are read in place.

use super::backend::{DW_VECTORS, FORWARD_ROWS, FORWARD_VECTORS};
use super::drive::{ColumnTile, RowTile, for_each_column_block, for_each_row_block, last_columns};
use super::epilogue::Update;
use super::micro::{Columns, V, block_mut, lanes, load, rank_one_update, store, store_tile};
use super::simd::Vector;
use super::tuning::{DW_DEPTH, DW_PANELS, DyPanels, PREFETCH_DW_BELOW, X_TILES, XSlices, dw_packs, keep_loop_rolled};
use crate::Element;

/// `dW = Xᵀ·dY`, written or added as `update` says: `Σ_r x[r][i] · dy[r][j..]`,
/// each tile of dW held in registers for the whole batch and stored once.
///
/// For large batches and weights, the full column panels of dY are packed
/// as the forward packs W (see `forward::forward_packed_panel`), sixteen panels
/// `DW_DEPTH` batch rows deep at a time, reused by every row block of dW.
pub(crate) fn backward_weight<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    dy: &[[T; DOUT]],
    dw: &mut [[T; DOUT]; DIN],
    update: Update,
) {
    if let ([x_row], [dy_row]) = (x, dy) {
        return dw_outer_product(x_row, dy_row, dw, update);
    }
    let mut from = 0;
    if dw_packs::<T, DIN, DOUT>(dy.len()) {
        from = dw_packed_panels(x, dy, dw, update);
    }
    if from < DOUT {
        for_each_row_block(DIN, &mut DwRows { x, dy, dw, update, from });
    }
}

/// Batch 1: `dW = x ⊗ dy`, two FLOPs per element of dW and nothing to keep
/// in registers, so the aim is to write dW at full bandwidth: one row at a
/// time, in its stored order (a tile of rows would write several rows at
/// once in short pieces), one row per loop iteration where dW is larger
/// than L1 (see `tuning::keep_loop_rolled`).
///
/// A row's last few columns (fewer than a vector) are one vector ending at
/// the last column, computed before the rest of the row is stored and then
/// stored whole, overlap included: it reads dW (when accumulating) before
/// the row's other stores land, not just after them: read after them, it
/// would wait on the overlapping store in every row. Overwriting, the one
/// vector replaces lane-by-lane stores. Measurements: BENCHMARKS.md.
#[inline]
pub(crate) fn dw_outer_product<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[T; DIN],
    dy: &[T; DOUT],
    dw: &mut [[T; DOUT]; DIN],
    update: Update,
) {
    let lanes = lanes::<T>();
    if DOUT < lanes {
        for (&x_i, dw_row) in x.iter().zip(dw.iter_mut()) {
            for (dw_ij, &dy_j) in dw_row.iter_mut().zip(dy) {
                update.apply(dw_ij, x_i * dy_j);
            }
        }
        return;
    }
    let tail = last_columns::<T, DOUT>(DOUT / lanes * lanes);
    for (&x_i, dw_row) in x.iter().zip(dw.iter_mut()) {
        keep_loop_rolled::<T, DIN, DOUT>();
        let x_v = V::<T>::splat(x_i);
        let last = dw_last_columns(tail, x_v, dy, dw_row, update);
        let mut j = 0;
        while j + lanes <= DOUT {
            store(dw_row, j, 0, x_v * load(dy, j), update);
            j += lanes;
        }
        if let Some((j, value)) = last {
            store(dw_row, j, 0, value, Update::Overwrite);
        }
    }
}

/// The last few columns of one row of the batch-1 dW, `tail` (see
/// `drive::last_columns`): where they start and the vector ending at the last
/// column, to be computed before the row's other stores and stored after
/// them, whole (see [`dw_outer_product`]).
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn dw_last_columns<T: Element, const DOUT: usize>(
    tail: Option<Columns>,
    x_v: V<T>,
    dy: &[T; DOUT],
    dw_row: &[T; DOUT],
    update: Update,
) -> Option<(usize, V<T>)> {
    tail.map(|Columns { j, .. }| {
        let product = x_v * load(dy, j);
        let value = match update {
            Update::Overwrite => product,
            Update::Accumulate => load(dw_row, j) + product,
        };
        (j, value)
    })
}

/// Every full column panel of dW from packed panels of dY; returns the
/// first column it did not compute.
///
/// A dW tile reads `x[r][i .. i + R]` down the batch, `DIN` elements
/// apart: at power-of-two widths all those rows fall in a few L1 and L2
/// sets and evict one another, and the prefetcher, which does not cross
/// pages, cannot fetch them ahead. So `DW_PANELS` panels of dY are
/// packed at once (`DW_DEPTH` batch rows deep), and each row tile's
/// slice of X is copied once into a small contiguous block that every
/// packed panel then reads from L1: one strided read of X per 16 panels
/// instead of one per panel. One copy fetches the slices of `X_TILES` row
/// tiles. The counts and depths are in `tuning`. Measurements:
/// BENCHMARKS.md.
#[inline(never)]
fn dw_packed_panels<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    dy: &[[T; DOUT]],
    dw: &mut [[T; DOUT]; DIN],
    update: Update,
) -> usize {
    let width = FORWARD_VECTORS * lanes::<T>();
    let full_panels = DOUT / width;
    let mut packed: DyPanels<T> = [[[V::<T>::ZERO; FORWARD_VECTORS]; DW_DEPTH]; DW_PANELS];
    let mut x_slices: XSlices<T> = [[[T::ZERO; FORWARD_ROWS]; DW_DEPTH]; X_TILES];
    let mut panel = 0;
    while panel < full_panels {
        let count = (full_panels - panel).min(DW_PANELS);
        let j = panel * width;
        for (block, (x, dy_rows)) in x.chunks(DW_DEPTH).zip(dy.chunks(DW_DEPTH)).enumerate() {
            // Row by row: each row of dY gives all the panels' columns in one
            // contiguous read, where panel by panel would read one panel's
            // width from each row in turn.
            for (r, dy_row) in dy_rows.iter().enumerate() {
                for (p, slots) in packed.iter_mut().take(count).enumerate() {
                    if let Some(slot) = slots.get_mut(r) {
                        for (v, vector) in slot.iter_mut().enumerate() {
                            *vector = load(dy_row, j + p * width + v * lanes::<T>());
                        }
                    }
                }
            }
            let panels = packed.get(..count).unwrap_or(&[]);
            // Later blocks of the batch add to what the first wrote.
            let update = if block == 0 { update } else { Update::Accumulate };
            let mut tiles =
                DwPackedBlock { x, x_slices: &mut x_slices, copied_from: None, panels, dw: &mut *dw, j, update };
            for_each_row_block(DIN, &mut tiles);
        }
        panel += count;
    }
    panel * width
}

/// One packed block of several dY panels (batch rows of `x`), for every row of dW.
struct DwPackedBlock<'a, T: Element, const DIN: usize, const DOUT: usize> {
    x: &'a [[T; DIN]],
    x_slices: &'a mut XSlices<T>,
    /// The first input `x_slices` holds, once a tile has copied them.
    copied_from: Option<usize>,
    panels: &'a [[[V<T>; FORWARD_VECTORS]; DW_DEPTH]],
    dw: &'a mut [[T; DOUT]; DIN],
    j: usize,
    update: Update,
}

impl<T: Element, const DIN: usize, const DOUT: usize> RowTile for DwPackedBlock<'_, T, DIN, DOUT> {
    /// `R` rows of dW (inputs `first ..`) × each packed panel, over the block's batch rows.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[allow(clippy::modulo_one, reason = "FORWARD_ROWS is 1 on the scalar backend, which never runs the tiles")]
    fn tile<const R: usize>(&mut self, first: usize) {
        let held = self.copied_from.and_then(|from| {
            let offset = first.checked_sub(from)?;
            (offset % FORWARD_ROWS == 0).then_some(offset / FORWARD_ROWS).filter(|&t| t < X_TILES)
        });
        let t = held.unwrap_or_else(|| {
            copy_x_slices(self.x, first, self.x_slices);
            self.copied_from = Some(first);
            0
        });
        let Some(dw_rows) = block_mut::<_, R>(self.dw, first) else { return };
        let x_slice = self.x_slices.get(t).and_then(|slice| slice.get(..self.x.len())).unwrap_or(&[]);
        let width = FORWARD_VECTORS * lanes::<T>();
        for (p, panel) in self.panels.iter().enumerate() {
            let mut acc = [[V::<T>::ZERO; FORWARD_VECTORS]; R];
            for (dy_v, x_part) in panel.iter().zip(x_slice) {
                let Some(x_part) = x_part.first_chunk::<R>() else { return };
                rank_one_update(&mut acc, x_part.iter().copied(), dy_v);
            }
            store_tile(&acc, dw_rows, Columns { j: self.j + p * width, skip: 0 }, self.update);
        }
    }
}

/// Copies the inputs `first ..` of each batch row of `x` into `slices`,
/// `FORWARD_ROWS` per slice, `X_TILES` slices' worth (fewer at the end of a row).
#[cfg_attr(not(debug_assertions), inline(always))]
fn copy_x_slices<T: Element, const DIN: usize>(x: &[[T; DIN]], first: usize, slices: &mut XSlices<T>) {
    for (r, x_row) in x.iter().enumerate() {
        let inputs = x_row.get(first..).unwrap_or(&[]);
        if let Some(inputs) = inputs.first_chunk::<{ X_TILES * FORWARD_ROWS }>() {
            for (slice, tile_inputs) in slices.iter_mut().zip(inputs.as_chunks::<FORWARD_ROWS>().0) {
                if let Some(slot) = slice.get_mut(r) {
                    *slot = *tile_inputs;
                }
            }
        } else {
            for (slice, tile_inputs) in slices.iter_mut().zip(inputs.chunks(FORWARD_ROWS)) {
                if let Some(slot) = slice.get_mut(r) {
                    for (value, &input) in slot.iter_mut().zip(tile_inputs) {
                        *value = input;
                    }
                }
            }
        }
    }
}

/// The columns of dW from `from` on, straight from dY, for every row of dW,
/// in tiles `DW_VECTORS` wide.
///
/// With AVX-512 a tile is 3 vectors wide, 24 accumulators, where the
/// forward's is 2: the k-loop here is the batch, often short, and every
/// column tile reads the rows' slice of X again, so wider tiles mean fewer
/// of them and fewer loads per FMA. Measurements: BENCHMARKS.md.
struct DwRows<'a, T: Element, const DIN: usize, const DOUT: usize> {
    x: &'a [[T; DIN]],
    dy: &'a [[T; DOUT]],
    dw: &'a mut [[T; DOUT]; DIN],
    update: Update,
    from: usize,
}

impl<T: Element, const DIN: usize, const DOUT: usize> RowTile for DwRows<'_, T, DIN, DOUT> {
    /// `R` rows of dW (inputs `first ..`) from column `from` on.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn tile<const R: usize>(&mut self, first: usize) {
        let Some(dw_rows) = block_mut::<_, R>(self.dw, first) else { return };
        let mut block = DwBlock { x: self.x, dy: self.dy, dw_rows, first, update: self.update };
        for_each_column_block::<T, _, DW_VECTORS, DOUT>(self.from, &mut block);
    }
}

/// `R` rows of dW (inputs `first ..`), walked by column tile.
pub(crate) struct DwBlock<'a, T: Element, const R: usize, const DIN: usize, const DOUT: usize> {
    pub(crate) x: &'a [[T; DIN]],
    pub(crate) dy: &'a [[T; DOUT]],
    pub(crate) dw_rows: &'a mut [[T; DOUT]; R],
    pub(crate) first: usize,
    pub(crate) update: Update,
}

impl<T: Element, const R: usize, const DIN: usize, const DOUT: usize> ColumnTile for DwBlock<'_, T, R, DIN, DOUT> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn tile<const N: usize>(&mut self, columns: Columns) {
        dw_tile::<T, R, N, DIN, DOUT>(self.x, self.dy, self.dw_rows, self.first, columns, self.update);
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn column(&mut self, column: usize) {
        for (m, dw_row) in self.dw_rows.iter_mut().enumerate() {
            let mut sum = T::ZERO;
            for (x_row, dy_row) in self.x.iter().zip(self.dy) {
                sum += x_row[self.first + m] * dy_row[column];
            }
            self.update.apply(&mut dw_row[column], sum);
        }
    }
}

/// `R` rows × `N` vectors of dW (inputs `i0 ..`, outputs at `columns`),
/// summed over the whole batch.
#[cfg_attr(not(debug_assertions), inline(always))]
fn dw_tile<T: Element, const R: usize, const N: usize, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    dy: &[[T; DOUT]],
    dw_rows: &mut [[T; DOUT]; R],
    i0: usize,
    columns: Columns,
    update: Update,
) {
    let lanes = lanes::<T>();
    if x.len() < PREFETCH_DW_BELOW {
        for dw_row in dw_rows.iter() {
            prefetch_for_writing(dw_row, columns.j + N * lanes, N);
        }
    }
    let mut acc = [[V::<T>::ZERO; N]; R];
    for (x_row, dy_row) in x.iter().zip(dy) {
        let dy_v: [V<T>; N] = core::array::from_fn(|v| load(dy_row, columns.j + v * lanes));
        rank_one_update(&mut acc, x_row.iter().skip(i0).copied(), &dy_v);
    }
    store_tile(&acc, dw_rows, columns, update);
}

/// Asks the cache for the lines of `vectors` vectors of `row` from
/// `from` on, with intent to write them (`prefetchw`): a hint, which never
/// faults and is skipped past the end of the row. x86 only (through
/// `safe_arch`); nothing elsewhere.
#[cfg_attr(not(debug_assertions), inline(always))]
fn prefetch_for_writing<T: Element>(row: &[T], from: usize, vectors: usize) {
    #[cfg(target_feature = "sse")]
    for v in 0..vectors {
        if let Some(element) = row.get(from + v * lanes::<T>()) {
            safe_arch::prefetch_et0(element);
        }
    }
    #[cfg(not(target_feature = "sse"))]
    let _ = (row, from, vectors);
}
