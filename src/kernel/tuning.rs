//! Every threshold and packing predicate the passes branch on, and the
//! shapes of the packed blocks they put on the stack: where a forward group
//! of rows ends, when and how deep W, Wᵀ and dY are packed, when the
//! backward runs dX and dW in one pass, when the batch-1 backward goes row
//! by row, and when a loop is kept rolled.
//!
//! Each value is a rule about caches and registers, chosen by timing the
//! shapes on either side of it. Measurements: BENCHMARKS.md.

use super::backend::{FORWARD_ROWS, FORWARD_VECTORS};
use super::micro::{V, lanes};
use crate::Element;

/// Bytes of X an unpacked forward group may hold (the outer loop of the
/// forward, over groups of rows): a quarter of a typical 512 KiB L2,
/// leaving room for Y and the panel of W that every row block reads again.
/// Measurements: BENCHMARKS.md.
const FORWARD_GROUP_BYTES: usize = 128 * 1024;

/// Bytes of X a packed forward group may read per packed block of W
/// (`rows × PACK_DEPTH` elements): a typical L2. A packed group reads W
/// from memory and packs it again, so fewer, larger groups pay off until
/// the X a block reads leaves L2. Measurements: BENCHMARKS.md.
const PACKED_GROUP_BYTES: usize = 512 * 1024;

/// Rows per group for a batch of `rows`: as few groups as keep the X a
/// group reads within budget, in equal shares rounded up to an even count
/// (so that no group ends in a one-row tile). A group is sized by whole
/// rows of X within [`FORWARD_GROUP_BYTES`], or, when W is packed, by the
/// `PACK_DEPTH` columns of X that one packed block reads, within
/// [`PACKED_GROUP_BYTES`]. Every packed group packs W again, so groups are
/// equal: a small last group would pay for a whole pass over W with little
/// work.
#[inline]
pub(crate) fn forward_group_rows<T: Element, const DIN: usize, const DOUT: usize>(rows: usize) -> usize {
    let (bytes, depth) = if weight_packs(DIN, DOUT, size_of::<T>()) {
        (PACKED_GROUP_BYTES, DIN.min(PACK_DEPTH))
    } else {
        (FORWARD_GROUP_BYTES, DIN)
    };
    let budget = (bytes / (depth * size_of::<T>())).max(2 * FORWARD_ROWS) & !1;
    let groups = rows.div_ceil(budget).max(1);
    (rows.div_ceil(groups).div_ceil(2) * 2).max(2)
}

/// Rows of W per packed block of the forward (the k-loop of each packed
/// tile): a block of 32 KiB, 512 rows of two 256-bit vectors (16 KiB on
/// SSE2, whose panels are one vector wide), 256 rows of two of AVX-512's
/// 512-bit vectors. Deeper blocks mean fewer partial sums stored to Y and
/// read back; past 32 KiB a block no longer fits beside the slices of X
/// a tile reads. dX packs its own blocks, `DX_PACK_DEPTH` deep.
/// Measurements: BENCHMARKS.md.
pub(crate) const PACK_DEPTH: usize = if size_of::<V<f32>>() == 64 { 256 } else { 512 };

/// The forward's block of packed rows of W (see `forward::forward_packed_panel`).
pub(crate) type PackedBlock<T> = [[V<T>; FORWARD_VECTORS]; PACK_DEPTH];

/// Rows of Wᵀ (columns of W) per block of dX's packed panels (the k-loop of
/// dX's packed tiles): 512 on every AVX build, 64 KiB with AVX-512. A
/// block as deep as dY is wide up to 512 leaves no partial sums in dX
/// between blocks, which outweighs a block's fitting L1.
/// Measurements: BENCHMARKS.md.
#[cfg(target_feature = "avx")]
pub(crate) const DX_PACK_DEPTH: usize = 512;

/// How much cache the rows of one panel of W may claim (see [`aliasing`])
/// before the forward packs them: 512 KiB, a typical L2. Within it, a panel
/// read in place comes back from L2 for every row tile at no cost against
/// a copy; past it, each row tile waits on memory. The bound is fitted to
/// timings at either side, not derived. Measurements: BENCHMARKS.md.
const IN_PLACE_PANEL_BYTES: u64 = 512 * 1024;

/// The cache that rows `spacing` bytes apart each claim: the power-of-two
/// factor of `spacing`, at least a 64-byte line. A cache picks a line's set
/// from the address's low bits, so such rows use only one set in every
/// `aliasing / 64`, and `n` of them fit in a cache of `C` bytes, whatever
/// its associativity, when `n · aliasing ≤ C`.
#[inline]
const fn aliasing(spacing: u64) -> u64 {
    let power_of_two = spacing & spacing.wrapping_neg();
    if power_of_two > 64 { power_of_two } else { 64 }
}

/// Whether the forward packs the panels of a `din → dout` weight of
/// `elem_bytes`-byte elements, for batches of two row tiles or more: when
/// the `din` rows of one panel, `dout` elements apart, claim more than
/// [`IN_PLACE_PANEL_BYTES`] of cache (see [`aliasing`]).
///
/// Read in place, a panel comes from L2 for every row tile after the
/// first; packed, it costs a pass over W before any tile runs.
/// Measurements: BENCHMARKS.md.
#[inline]
pub(crate) const fn weight_packs(din: usize, dout: usize, elem_bytes: usize) -> bool {
    let spacing = (dout as u64).saturating_mul(elem_bytes as u64);
    (din as u64).saturating_mul(aliasing(spacing)) > IN_PLACE_PANEL_BYTES
}

/// Whether the forward packs panels of W for `rows` batch rows: at least
/// two row tiles to share each packed block, and a panel that claims too
/// much cache to be read in place (see [`weight_packs`]).
#[inline]
pub(crate) const fn forward_packs<T: Element, const DIN: usize, const DOUT: usize>(rows: usize) -> bool {
    rows >= 2 * FORWARD_ROWS && weight_packs(DIN, DOUT, size_of::<T>())
}

/// Stack bytes of the forward's packed block for a `din → dout` layer of
/// `elem_bytes`-byte elements: 0 for a layer that never packs. (Both
/// element types' vectors have one size: 32 bytes, 64 with AVX-512.)
pub(crate) const fn forward_pack_stack_bytes(din: usize, dout: usize, elem_bytes: usize) -> u64 {
    if weight_packs(din, dout, elem_bytes) { size_of::<PackedBlock<f32>>() as u64 } else { 0 }
}

/// Whether dX runs packed blocks of Wᵀ (see `dx::dx_packed_panels`) for
/// `rows` batch rows: with AVX, two row tiles or more to share each block.
/// Elsewhere `wide` transposes element by element, and the dot tiles win.
/// Measurements: BENCHMARKS.md.
#[inline]
pub(crate) const fn dx_packs(rows: usize) -> bool {
    cfg!(target_feature = "avx") && rows >= 2 * FORWARD_ROWS
}

/// Rows of Wᵀ in dX's packed block for a layer with `dout` outputs: as
/// many as dY is wide, up to `DX_PACK_DEPTH`.
#[inline]
const fn dx_pack_depth(dout: usize) -> usize {
    #[cfg(target_feature = "avx")]
    if dout > DX_PACK_DEPTH {
        return DX_PACK_DEPTH;
    }
    dout
}

/// Whether the backward of a batch of `x_rows`, `dy_rows` and `dx_rows`
/// rows runs dX and dW in one pass over W (`fused::dx_dw_few_rows`) rather
/// than two: batches too small to pack, fewer than two row tiles of dY,
/// where two passes would each stream a whole matrix for little
/// arithmetic. A single row is left to the batch-1 kernels.
/// Measurements: BENCHMARKS.md.
#[inline]
pub(crate) fn few_rows_one_pass(x_rows: usize, dy_rows: usize, dx_rows: usize) -> bool {
    dy_rows < 2 * FORWARD_ROWS && x_rows.min(dy_rows).min(dx_rows) >= 2
}

/// Whether the batch-1 backward, and dX alone at batch 1, go one row of W
/// at a time (`fused::dx_dw_one_row`, `dx::row_dot`): in AVX builds,
/// where W is larger than L1 and its rows have more than 8 vectors.
///
/// Rows that long keep a row's own FMA chains busy, and reading W and
/// writing dW in one ascending stream each beats the dot tiles' several
/// rows at a time. Rows of 8 vectors or fewer, and a W within L1, stay on
/// the tiles. Without AVX (SSE2's vectors are pairs of registers) one load
/// of dy per load of W, where the tiles share it between rows, costs dX
/// more than the backward gains, so those backends stay on the tiles.
/// Measurements: BENCHMARKS.md.
#[inline]
pub(crate) const fn runs_row_by_row<T: Element, const DIN: usize, const DOUT: usize>() -> bool {
    cfg!(target_feature = "avx") && DOUT / lanes::<T>() > 8 && weight_beyond_l1::<T, DIN, DOUT>()
}

/// Keeps the compiler from unrolling the loop this sits in, where W comes
/// from beyond L1 (more than 32 KiB of it): an empty `black_box`, which
/// costs no instruction, but which LLVM's loop unroller treats as a call
/// and so leaves the loop as written.
///
/// Why: a batch-1 loop streams W from L2 or beyond fastest when each
/// iteration reads at most 1 KiB of it, in ascending order; unrolled, the
/// GEMV's two-row loop reads more. The batch-1 dW, which writes its rows
/// rather than reading them, gains the same way (see
/// `dw::dw_outer_product`). Only speed depends on it: were the hint
/// ignored, the results would be the same. Measurements: BENCHMARKS.md.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn keep_loop_rolled<T, const DIN: usize, const DOUT: usize>() {
    if const { weight_beyond_l1::<T, DIN, DOUT>() } {
        core::hint::black_box(());
    }
}

/// Whether W takes more than 32 KiB, the L1 of most cores with SIMD: at
/// batch 1 it then streams from L2 or beyond, the backward runs dX and dW
/// in two passes (or row by row), and batch-1 loops are kept rolled.
/// Measurements: BENCHMARKS.md.
#[inline]
pub(crate) const fn weight_beyond_l1<T, const DIN: usize, const DOUT: usize>() -> bool {
    DIN.saturating_mul(DOUT).saturating_mul(size_of::<T>()) > 32 << 10
}

/// A W this small (twice L1) keeps its panels in L1 and L2 however they
/// are strided: dW never packs it. Measurements: BENCHMARKS.md.
const DW_PACK_MIN_BYTES: u64 = 64 * 1024;

/// The cache (see [`aliasing`]) that the lines one in-place dW tile reads
/// for each panel may claim before dW packs instead: 128 KiB, a quarter of
/// a typical L2, leaving room for dW's rows and the panels of dY. The
/// bound is fitted to timings at either side, not derived.
/// Measurements: BENCHMARKS.md.
const DW_IN_PLACE_BYTES: u64 = 128 * 1024;

/// Whether dW packs panels of dY and copies slices of X (see
/// `dw::dw_packed_panels`) for `rows` batch rows: two row tiles or more,
/// a W over 64 KiB, and more than [`DW_IN_PLACE_BYTES`]
/// claimed by the lines an in-place tile reads for each panel: `rows` of X
/// (`DIN` elements apart, the same for every panel of the tile) and `rows`
/// of dY (`DOUT` apart). Within the bound, the copies only cost time.
/// Measurements: BENCHMARKS.md.
#[inline]
pub(crate) const fn dw_packs<T: Element, const DIN: usize, const DOUT: usize>(rows: usize) -> bool {
    dw_packs_at(rows, DIN, DOUT, size_of::<T>())
}

/// [`dw_packs`] for a `din → dout` layer of `elem_bytes`-byte
/// elements, the form the stack bound asks too.
#[inline]
const fn dw_packs_at(rows: usize, din: usize, dout: usize, elem_bytes: usize) -> bool {
    let elem_bytes = elem_bytes as u64;
    let weight_bytes = (din as u64).saturating_mul(dout as u64).saturating_mul(elem_bytes);
    let lines = aliasing((din as u64).saturating_mul(elem_bytes))
        .saturating_add(aliasing((dout as u64).saturating_mul(elem_bytes)));
    rows >= 2 * FORWARD_ROWS
        && weight_bytes > DW_PACK_MIN_BYTES
        && (rows as u64).saturating_mul(lines) > DW_IN_PLACE_BYTES
}

/// Stack bytes of the backward's largest block for `rows` batch rows of a
/// `din → dout` layer of `elem_bytes`-byte elements: dX's block of Wᵀ (AVX
/// builds, two row tiles or more; see `dx::dx_packed_panels`) or dW's
/// packed panels of dY with their slices of X (see
/// `dw::dw_packed_panels`), whichever is larger; the two passes run one
/// after the other. 0 where neither packs.
pub(crate) const fn backward_pack_stack_bytes(rows: usize, din: usize, dout: usize, elem_bytes: usize) -> u64 {
    // A vector is as wide in f64 as in f32, so f32's vectors size both.
    let dx = if dx_packs(rows) { dx_pack_depth(dout) * size_of::<[V<f32>; FORWARD_VECTORS]>() } else { 0 };
    let dw = if !dw_packs_at(rows, din, dout, elem_bytes) {
        0
    } else if elem_bytes == size_of::<f64>() {
        size_of::<DyPanels<f64>>() + size_of::<XSlices<f64>>()
    } else {
        size_of::<DyPanels<f32>>() + size_of::<XSlices<f32>>()
    };
    (if dx > dw { dx } else { dw }) as u64
}

/// dY panels packed together for one pass over the rows of dW: each row
/// tile's slice of X, copied once, then serves this many panels.
/// Measurements: BENCHMARKS.md.
pub(crate) const DW_PANELS: usize = 16;

/// Batch rows per packed block of dY panels: 16 panels × 128 rows ×
/// `FORWARD_VECTORS` vectors of 32 bytes make 128 KiB on the stack with
/// AVX and NEON (2 vectors) and 64 KiB on SSE2 (1 vector), 256 KiB with
/// AVX-512 (2 vectors of 64 bytes), which L2 holds while every row tile of
/// dW streams through it. 128 rows, not 64, so that a batch of 128 makes
/// one pass over dW instead of a second one adding to the first; more
/// panels rather than deeper ones for the same stack. Measurements:
/// BENCHMARKS.md.
pub(crate) const DW_DEPTH: usize = 128;

/// Row tiles of dW whose slices of X one copy fetches: the copy reads
/// `X_TILES · FORWARD_ROWS` contiguous inputs of each batch row (whole cache
/// lines, where one tile's slice reads parts of one or two), and the next
/// `X_TILES - 1` row tiles find their slices already copied: at
/// power-of-two widths of X, the strided reads of one tile's slice alone
/// would collide in a few cache sets. Measurements: BENCHMARKS.md.
pub(crate) const X_TILES: usize = 4;

/// dW's block of packed dY: `DW_PANELS` panels, each `DW_DEPTH`
/// batch rows of `FORWARD_VECTORS` vectors (see `dw::dw_packed_panels`).
pub(crate) type DyPanels<T> = [[[V<T>; FORWARD_VECTORS]; DW_DEPTH]; DW_PANELS];

/// The slices of X that row tiles of dW read, one per tile, each contiguous:
/// `slices[t][r]` holds `x[r][from + t·FORWARD_ROWS ..][.. FORWARD_ROWS]`.
/// 24 KiB of stack in f64 with AVX (12 KiB in f32), 32 KiB with AVX-512.
pub(crate) type XSlices<T> = [[[T; FORWARD_ROWS]; DW_DEPTH]; X_TILES];

/// Batches below this many rows ask for the next dW tile's lines before
/// each tile runs (dW's tile, whose k-loop is the batch). A tile's FMAs
/// are then too few to cover its stores, which would wait for lines of dW
/// to come from L2; from 16 rows on they are enough, and the prefetches
/// only cost. Measurements: BENCHMARKS.md.
pub(crate) const PREFETCH_DW_BELOW: usize = 16;

#[cfg(test)]
mod tests {
    use crate::kernel::tuning::{PACK_DEPTH, forward_group_rows};

    /// The batches that tests/it/kernels.rs runs to cross forward groups do
    /// split into equal groups: two of a packed W (520 → 128 f64 at 131
    /// rows, 512 rows deep per block within 512 KiB; at 259 rows where
    /// blocks are 256 deep) and two of a W read in place (97 → 93 f32 at
    /// 400 rows, whole rows within 128 KiB); five at 300 → 70 f32 (520
    /// rows) and 261 → 37 f64 (300). Smaller batches stay whole.
    #[test]
    fn group_crossing_batches_split_in_equal_groups() {
        if PACK_DEPTH == 512 {
            assert_eq!(forward_group_rows::<f64, 520, 128>(131), 66);
        } else {
            assert_eq!(forward_group_rows::<f64, 520, 128>(131), 132);
            assert_eq!(forward_group_rows::<f64, 520, 128>(259), 130);
        }
        assert_eq!(forward_group_rows::<f32, 97, 93>(400), 200);
        assert_eq!(forward_group_rows::<f32, 300, 70>(520), 104);
        assert_eq!(forward_group_rows::<f64, 261, 37>(300), 60);
        assert_eq!(forward_group_rows::<f32, 300, 70>(33), 34);
        assert_eq!(forward_group_rows::<f32, 512, 512>(128), 128);
    }
}
