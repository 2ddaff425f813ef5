//! `Y = f(X·W + b)` for batches of two rows or more (batch 1 is `gemv`).
//!
//! A tile holds `R` batch rows × `N` vectors of outputs in registers for
//! the whole k-loop; each step loads `N` vectors of `W[k][j..]` (a row of W
//! is already the contiguous panel a broadcast kernel wants) and broadcasts
//! each `X[r][k]` once: `acc[r][v] += X[r][k] · W[k][j + v·LANES ..]`.
//!
//! Loop nest: groups of rows sized to keep their X in L2
//! (`tuning::forward_group_rows`), then column panels of W
//! (`drive::for_each_column_block`), then row tiles
//! (`drive::for_each_row_block`), then k. A panel thus comes from memory
//! once per group. Where a panel's rows, `DOUT` elements apart, claim too
//! much cache to stay in L2 between row tiles (`tuning::forward_packs`),
//! each panel is copied `PACK_DEPTH` rows at a time into a block on the
//! stack, which every row tile then reads in order; Y holds partial sums
//! between blocks.

use super::backend::{FORWARD_ROWS, FORWARD_VECTORS};
use super::drive::{ColumnTile, RowTile, for_each_column_block, for_each_row_block};
use super::epilogue::Epilogue;
use super::gemv::forward_one_row;
use super::micro::{Columns, V, block, block_mut, lanes, load, rank_one_update, scalar_output, store_forward_tile};
use super::simd::Vector;
use super::tuning::{PACK_DEPTH, PackedBlock, forward_group_rows, forward_packs};
use crate::Element;

/// `Y = f(X·W + b)` (or `f(X·W)` without a bias), `f` being the epilogue.
///
/// Rows go in groups small enough that the X a group reads stays in L2
/// (see [`forward_group_rows`]); within a group, one column panel of W at a
/// time meets every row block, so the panel is read from memory once per
/// group and from L1/L2 for every other block.
pub(crate) fn forward<T: Element, E: Epilogue<T>, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &mut [[T; DOUT]],
    epilogue: E,
) {
    if let ([x_row], [y_row]) = (x, &mut *y) {
        return forward_one_row(x_row, weight, bias, y_row, epilogue);
    }
    if forward_packs::<T, DIN, DOUT>(x.len()) {
        return forward_packed_groups(x, weight, bias, y, epilogue);
    }
    let group = forward_group_rows::<T, DIN, DOUT>(x.len());
    for (x_group, y_group) in x.chunks(group).zip(y.chunks_mut(group)) {
        forward_group(x_group, weight, bias, y_group, None, epilogue);
    }
}

/// [`forward`]'s groups when full panels of W are packed, all through one
/// block on the stack, zeroed once: zeroing it for every panel would write
/// the whole block again and empty L1 of the rows of X that every panel
/// reads again. A function of its own, so that only the calls that pack
/// have the block in their stack frame.
#[inline(never)]
fn forward_packed_groups<T: Element, E: Epilogue<T>, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &mut [[T; DOUT]],
    epilogue: E,
) {
    let mut packed = [[V::<T>::ZERO; FORWARD_VECTORS]; PACK_DEPTH];
    let group = forward_group_rows::<T, DIN, DOUT>(x.len());
    for (x_group, y_group) in x.chunks(group).zip(y.chunks_mut(group)) {
        forward_group(x_group, weight, bias, y_group, Some(&mut packed), epilogue);
    }
}

/// All of Y for one group of rows, one column panel at a time (see
/// [`for_each_column_block`]); full panels go through `packed`, when there
/// is one, if the group has two row tiles to share it.
#[cfg_attr(not(debug_assertions), inline(always))]
fn forward_group<T: Element, E: Epilogue<T>, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &mut [[T; DOUT]],
    packed: Option<&mut PackedBlock<T>>,
    epilogue: E,
) {
    let packed = packed.filter(|_| forward_packs::<T, DIN, DOUT>(x.len()));
    for_each_column_block::<T, _, FORWARD_VECTORS, DOUT>(0, &mut ForwardGroup { x, weight, bias, y, packed, epilogue });
}

/// The rows of one forward group, walked by column panel.
struct ForwardGroup<'a, T: Element, E, const DIN: usize, const DOUT: usize> {
    x: &'a [[T; DIN]],
    weight: &'a [[T; DOUT]; DIN],
    bias: Option<&'a [T; DOUT]>,
    y: &'a mut [[T; DOUT]],
    /// The block full panels are packed into, when they are.
    packed: Option<&'a mut PackedBlock<T>>,
    epilogue: E,
}

impl<T: Element, E: Epilogue<T>, const DIN: usize, const DOUT: usize> ColumnTile for ForwardGroup<'_, T, E, DIN, DOUT> {
    /// A panel of `N` vectors for every row of the group, packed or not.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn tile<const N: usize>(&mut self, columns: Columns) {
        if let (FORWARD_VECTORS, Some(packed)) = (N, self.packed.as_deref_mut()) {
            let Self { x, weight, bias, epilogue, .. } = *self;
            forward_packed_panel::<T, E, DIN, DOUT>(x, weight, bias, self.y, packed, columns.j, epilogue);
        } else {
            for_each_row_block(self.x.len(), &mut ForwardPanel::<T, E, N, DIN, DOUT> { group: self, columns });
        }
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn column(&mut self, column: usize) {
        for (x_row, y_row) in self.x.iter().zip(self.y.iter_mut()) {
            if let Some(y_j) = y_row.get_mut(column) {
                *y_j = self.epilogue.apply(scalar_output(x_row, self.weight, self.bias, column));
            }
        }
    }
}

/// One column panel of `N` vectors of a group, unpacked.
struct ForwardPanel<'g, 'a, T: Element, E, const N: usize, const DIN: usize, const DOUT: usize> {
    group: &'g mut ForwardGroup<'a, T, E, DIN, DOUT>,
    columns: Columns,
}

impl<T: Element, E: Epilogue<T>, const N: usize, const DIN: usize, const DOUT: usize> RowTile
    for ForwardPanel<'_, '_, T, E, N, DIN, DOUT>
{
    /// `R` rows × `N` vectors of outputs over all of W's rows.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn tile<const R: usize>(&mut self, first: usize) {
        let group = &mut *self.group;
        let (Some(x), Some(y)) = (block::<_, R>(group.x, first), block_mut::<_, R>(group.y, first)) else {
            return;
        };
        let (lanes, j) = (lanes::<T>(), self.columns.j);
        let start: [V<T>; N] = match group.bias {
            Some(b) => core::array::from_fn(|v| load(b, j + v * lanes)),
            None => [V::<T>::ZERO; N],
        };
        let mut acc = [start; R];
        for (k, w_row) in group.weight.iter().enumerate() {
            let w: [V<T>; N] = core::array::from_fn(|v| load(w_row, j + v * lanes));
            rank_one_update(&mut acc, x.iter().map(|x_row| x_row[k]), &w);
        }
        store_forward_tile(&acc, y, self.columns, true, group.epilogue);
    }
}

// Packed panels.
//
// Rows of W lie `DOUT` elements apart. When that stride is a multiple of
// 4 KiB / 8 (the span of one L1 way), a column panel's rows all fall into
// a handful of L1 sets, and the panel is evicted before the next row block
// can reuse it: the next block reads it from L2. When its rows claim too
// much of L2 as well (see `weight_packs`), the forward copies each panel,
// `PACK_DEPTH` rows deep, into a contiguous block on the stack, which
// every row block of the group then reads in order, from L1 or from L2
// with the prefetcher ahead of it.

/// One full column panel (from column `j`) for every row, through packed
/// blocks of `PACK_DEPTH` rows of W. Y holds partial sums between blocks;
/// the bias starts the first, the epilogue finishes the last.
///
/// The first row tile reads each block's rows of W in place and fills the
/// packed block on the way; the other row tiles read the block. So W's
/// wait on memory (its rows may lie a page apart, each a miss) overlaps
/// the first tile's FMAs, where a loop that only copied would stall on it.
/// Measurements: BENCHMARKS.md.
#[inline(never)]
fn forward_packed_panel<T: Element, E: Epilogue<T>, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &mut [[T; DOUT]],
    packed: &mut PackedBlock<T>,
    j: usize,
    epilogue: E,
) {
    // A packed group has two row tiles at least (see `forward_packs`).
    debug_assert!(x.len() >= 2 * FORWARD_ROWS && y.len() == x.len(), "a packed group of too few rows");
    let (Some((x_first, x_rest)), Some((y_first, y_rest))) =
        (x.split_first_chunk::<FORWARD_ROWS>(), y.split_first_chunk_mut::<FORWARD_ROWS>())
    else {
        return;
    };
    for (block, w_rows) in weight.chunks(PACK_DEPTH).enumerate() {
        let k0 = block * PACK_DEPTH;
        let start = if k0 == 0 { Start::Bias(bias) } else { Start::Partial };
        let finish = k0 + w_rows.len() == DIN;
        let mut acc = start_accumulators(start, y_first, j);
        for ((slot, w_row), k) in packed.iter_mut().zip(w_rows).zip(k0..DIN) {
            let w: [V<T>; FORWARD_VECTORS] = core::array::from_fn(|v| load(w_row, j + v * lanes::<T>()));
            *slot = w;
            rank_one_update(&mut acc, x_first.iter().map(|x_row| x_row[k]), &w);
        }
        store_forward_tile(&acc, y_first, Columns { j, skip: 0 }, finish, epilogue);
        let Some(panel) = packed.get(..w_rows.len()) else { return };
        let rest = &mut PackedForward { x: x_rest, y: &mut *y_rest, panel, k0, j, start, finish, epilogue };
        for_each_row_block(x_rest.len(), rest);
    }
}

/// A packed tile's accumulators at its start: the bias (or zero) for the
/// first block, the partial sums in `y` for a later one.
#[cfg_attr(not(debug_assertions), inline(always))]
fn start_accumulators<T: Element, const R: usize, const DOUT: usize>(
    start: Start<'_, T, DOUT>,
    y: &[[T; DOUT]; R],
    j: usize,
) -> [[V<T>; FORWARD_VECTORS]; R] {
    let lanes = lanes::<T>();
    match start {
        Start::Bias(Some(b)) => [core::array::from_fn(|v| load(b, j + v * lanes)); R],
        Start::Bias(None) => [[V::<T>::ZERO; FORWARD_VECTORS]; R],
        Start::Partial => core::array::from_fn(|r| core::array::from_fn(|v| load(&y[r], j + v * lanes))),
    }
}

/// Where a packed tile's accumulators start.
#[derive(Clone, Copy)]
pub(crate) enum Start<'b, T, const DOUT: usize> {
    /// The first block: from the bias (or zero without one).
    Bias(Option<&'b [T; DOUT]>),
    /// A later block: from the partial sums already in Y.
    Partial,
}

/// One packed block of a panel, rows `k0 ..` of W, for the rows of a group.
pub(crate) struct PackedForward<'a, 'b, T: Element, E, const DIN: usize, const DOUT: usize> {
    pub(crate) x: &'a [[T; DIN]],
    pub(crate) y: &'a mut [[T; DOUT]],
    pub(crate) panel: &'a [[V<T>; FORWARD_VECTORS]],
    pub(crate) k0: usize,
    pub(crate) j: usize,
    pub(crate) start: Start<'b, T, DOUT>,
    pub(crate) finish: bool,
    pub(crate) epilogue: E,
}

impl<T: Element, E: Epilogue<T>, const DIN: usize, const DOUT: usize> RowTile
    for PackedForward<'_, '_, T, E, DIN, DOUT>
{
    /// `R` rows × the panel's vectors, over the block's rows of W.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn tile<const R: usize>(&mut self, first: usize) {
        let (Some(x), Some(y)) = (block::<_, R>(self.x, first), block_mut::<_, R>(self.y, first)) else {
            return;
        };
        let j = self.j;
        let mut acc = start_accumulators(self.start, y, j);
        debug_assert!(self.k0 + self.panel.len() <= DIN, "a packed block past the end of X's rows");
        // The input index runs to DIN, a constant, so indexing a row of X
        // needs no check, and each broadcast loads from memory. Checked
        // against the block's length instead (`get(k)` on slices of the
        // rows), one row's check stays in the loop, and its broadcast goes
        // through a register, one more shuffle on the FMAs' port.
        for (w, k) in self.panel.iter().zip(self.k0..DIN) {
            rank_one_update(&mut acc, x.iter().map(|x_row| x_row[k]), w);
        }
        store_forward_tile(&acc, y, Columns { j, skip: 0 }, self.finish, self.epilogue);
    }
}
