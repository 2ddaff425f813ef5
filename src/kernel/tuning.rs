//! Every threshold and packing predicate the passes branch on, and the
//! shapes of the packed blocks they put on the stack: where a group of
//! rows ends, when and how deep W, Wᵀ and dY are packed, when the batch-1
//! backward goes row by row, when a loop is kept rolled.

use super::backend::{FORWARD_ROWS, FORWARD_VECTORS};
use super::micro::{V, lanes};
use crate::Element;

/// Bytes of X an unpacked forward group may hold: a quarter of a typical
/// 512 KiB L2, leaving room for Y and the panel of W that every row block
/// reads again.
const FORWARD_GROUP_BYTES: usize = 128 * 1024;

/// Bytes of X a packed forward group may read per packed block of W
/// (`rows × PACK_DEPTH` elements): a typical L2. A packed group reads W
/// from memory and packs it again, so fewer, larger groups pay off until
/// the X a block reads leaves L2 (measured against 128 KiB groups of whole
/// rows: f64 256 × 512 → 512 forward 21 → 28 GFLOP/s, f32 512 × 1024 →
/// 1024 43 → 56, and no loss at 8192 × 512 → 512).
const PACKED_GROUP_BYTES: usize = 512 * 1024;

/// Rows per group for a batch of `rows`: as few groups as keep the X a
/// group reads within budget, in equal shares rounded up to an even count
/// (so that no group ends in a one-row tile). A group is sized by whole
/// rows of X within [`FORWARD_GROUP_BYTES`], or, when W is packed, by the
/// `PACK_DEPTH` columns of X that one packed block reads, within
/// [`PACKED_GROUP_BYTES`]. Every packed group packs W again, so a small
/// last group would pay for a whole pass over W with little work
/// (measured: 128 × 512 → 512 ran as 60 + 60 + 8 rows).
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

/// Rows of W per packed block: 512, 32 KiB of f32 (2 × 8 lanes) or f64
/// (2 × 4) with AVX2 or NEON, 16 KiB on SSE2. With 256-bit vectors, blocks
/// 512 rows deep beat 256 rows (interleaved medians at 128 × 512 → 512, one
/// block instead of two: forward +8–14 % in f32 and f64, dX +15–29 %),
/// though a block then fills L1; at f64 64 × 1024 → 256 the forward lost
/// 8–10 %. AVX-512's vectors are twice as wide, and there 256 rows (again
/// 32 KiB) beat 512 (64 KiB, more than a 48 KiB L1), timed in turns on
/// the Xeon: the f32 forward +2 % at 128 × 512 → 512, +4 % at
/// 300 × 512 → 512, +8 % at 64 × 1024 → 256; the rest level. On the Zen 4
/// machine, whose 32 KiB L1 holds no 256-row block beside the slices of X
/// a tile reads, 256 rows held, timed in turns (f32 and f64, batches of
/// 16 to 300 at 512 → 512, and 64 × 1024 → 256): 512 rows ran level
/// (−4 to +4 %), and 128 rows (16 KiB, which fits) mostly 1–6 % slower.
/// dX packs its own blocks, `DX_PACK_DEPTH` deep.
pub(crate) const PACK_DEPTH: usize = if size_of::<V<f32>>() == 64 { 256 } else { 512 };

/// The forward's block of packed rows of W (see [`forward_packed_panel`]).
pub(crate) type PackedBlock<T> = [[V<T>; FORWARD_VECTORS]; PACK_DEPTH];

/// Rows of Wᵀ (columns of W) per block of dX's packed panels: 512 on every
/// AVX build, 64 KiB with AVX-512. On the Xeon 256 rows had run dX 2–4 %
/// faster at 128 × 512 → 512; on the Zen 4 machine, whose 32 KiB L1 holds
/// neither block beside the rows of dY a tile reads, 512 ran faster, timed
/// in turns: f32 128 × 512 → 512 +1–2 %, 64 × 256 → 1024 +5 %,
/// 512 × 1024 → 1024 +2 %; f64 128 × 512 → 512 and 256 × 512 → 512 +3–4 %;
/// 16 × 512 → 512 level. One block across all of dY's columns also leaves
/// no partial sums in dX between blocks.
#[cfg(target_feature = "avx")]
pub(crate) const DX_PACK_DEPTH: usize = 512;

/// How much cache the rows of one panel of W may claim (see [`aliasing`])
/// before the forward packs them: 512 KiB, a bound fitted to measurements
/// rather than derived. They were taken on an Intel Xeon core (48 KiB L1,
/// 2 MiB L2), where reading W in place won at every shape whose panel
/// claimed 512 KiB or less and lost at every one that claimed 1 MiB.
/// (512 KiB is also all of L2 on AMD's Zen 2 to 4.)
const IN_PLACE_PANEL_BYTES: u64 = 512 * 1024;

/// The cache that rows `spacing` bytes apart each claim: the power-of-two
/// factor of `spacing`, at least a 64-byte line. A cache picks a line's set
/// from the address's low bits, so such rows use only one set in every
/// `aliasing / 64`, and `n` of them fit in a cache of `C` bytes, whatever
/// its associativity, when `n · aliasing ≤ C`.
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
/// first; packed, it costs a pass over W before any tile runs. Timed in
/// turns, W read in place against packed: f32 64 × 256 → 256 +7–11 %,
/// 64 × 512 → 256 +8–11 %, 32 × 256 → 256 +14–21 %, 200 → 264 +10 %, f64
/// 64 × 256 → 256 +8–11 % (all claiming 512 KiB or less); f32 128 × 512 →
/// 512 −6 to −16 %, 300 × 512 → 512 −7 % and 64 × 256 → 1024 −3 to −5 %
/// (1 MiB each).
pub(crate) const fn weight_packs(din: usize, dout: usize, elem_bytes: usize) -> bool {
    let spacing = (dout as u64).saturating_mul(elem_bytes as u64);
    (din as u64).saturating_mul(aliasing(spacing)) > IN_PLACE_PANEL_BYTES
}

/// Whether the forward packs panels of W for `rows` batch rows: at least
/// two row tiles to share each packed block, and a panel that claims too
/// much cache to be read in place (see [`weight_packs`]).
pub(crate) const fn forward_packs<T: Element, const DIN: usize, const DOUT: usize>(rows: usize) -> bool {
    rows >= 2 * FORWARD_ROWS && weight_packs(DIN, DOUT, size_of::<T>())
}

/// Stack bytes of the forward's packed block for a `din → dout` layer of
/// `elem_bytes`-byte elements: 0 for a layer that never packs. (Both
/// element types' vectors have one size: 32 bytes, 64 with AVX-512.)
pub(crate) const fn forward_pack_stack_bytes(din: usize, dout: usize, elem_bytes: usize) -> u64 {
    if weight_packs(din, dout, elem_bytes) { size_of::<PackedBlock<f32>>() as u64 } else { 0 }
}

/// Whether dX runs packed blocks of Wᵀ (see [`dx_packed_panels`]) for
/// `rows` batch rows: with AVX, two row tiles or more to share each block.
pub(crate) const fn dx_packs(rows: usize) -> bool {
    cfg!(target_feature = "avx") && rows >= 2 * FORWARD_ROWS
}

/// Rows of Wᵀ in dX's packed block for a layer with `dout` outputs: as
/// many as dY is wide, up to `DX_PACK_DEPTH`.
const fn dx_pack_depth(dout: usize) -> usize {
    #[cfg(target_feature = "avx")]
    if dout > DX_PACK_DEPTH {
        return DX_PACK_DEPTH;
    }
    dout
}

/// Whether the backward of a batch of `x_rows`, `dy_rows` and `dx_rows`
/// rows runs dX and dW in one pass over W (`fused::dx_dw_few_rows`):
/// batches too small to pack, fewer than two row tiles of dY. A single row
/// is left to the batch-1 kernels.
#[inline]
pub(crate) fn few_rows_one_pass(x_rows: usize, dy_rows: usize, dx_rows: usize) -> bool {
    dy_rows < 2 * FORWARD_ROWS && x_rows.min(dy_rows).min(dx_rows) >= 2
}

/// Whether the batch-1 backward, and dX alone at batch 1, go one row of W
/// at a time ([`dx_dw_one_row`], [`row_dot`]): in AVX builds,
/// where W is larger than L1 and its rows have more than 8 vectors.
///
/// Timed in turns on the Zen 5 machine against the dot tiles of 8 rows
/// (and the backward's two passes): AVX-512, the backward overwriting,
/// f32 1024 → 1024 −5 %, 100 → 200 −18 %, 256 → 192 −8 %, 256 → 256 −4 %,
/// f64 512 → 512 −4 % and 256 → 128 −8 %; dX alone from 2 % slower
/// (512 → 512) to 13 % faster.
/// Rows of 8 vectors past L1 ran 3–8 % slower (f32 256 → 128,
/// 128 → 128, f64 128 → 64, 256 → 64), and within L1 dX alone ran 41 %
/// slower at 64 → 128 (8 vectors): both stay on the tiles. AVX2: the
/// backward −4 to −24 % (f32 256 → 128, 1024 → 1024; f64 512 → 512), dX
/// alone −12 to +5 %. The SSE2 build, whose vectors are pairs of registers,
/// ran the backward up to 25 % faster but dX alone 16–54 % slower (one
/// load of dy per load of W, where the tiles share it between rows), so it
/// and the other backends without AVX stay on the tiles.
///
/// On the Zen 4 machine (AVX-512) the backward at f32 1024 → 1024 ran level
/// with the two passes in either order (within 2 %; all three, and gemm,
/// bound by L3's read bandwidth).
pub(crate) const fn runs_row_by_row<T: Element, const DIN: usize, const DOUT: usize>() -> bool {
    cfg!(target_feature = "avx") && DOUT / lanes::<T>() > 8 && weight_beyond_l1::<T, DIN, DOUT>()
}

/// Keeps the compiler from unrolling the loop this sits in, where W comes
/// from beyond L1 (more than 32 KiB of it): an empty `black_box`, which
/// costs no instruction, but which LLVM's loop unroller treats as a call
/// and so leaves the loop as written.
///
/// Why: on the AMD Zen 5 of the benchmarks, a GEMV loop whose iterations
/// each read more than 1 KiB of W, or read it out of ascending order,
/// streams W from L2 at about 130 GB/s; one that reads at most 1 KiB in
/// order streams it at 180–200 GB/s (hand-written loops, 8 FMA chains,
/// 128 KiB of W; software prefetching did not help the slow ones). Left
/// alone, LLVM unrolled the two-row loop of 256 → 128 (f32, AVX-512) into
/// four rows, 2 KiB an iteration. The batch-1 dW, which writes its rows
/// rather than reading them, gains the same way (see
/// [`dw_outer_product`]). Only speed depends on it: were the hint
/// ignored, the results would be the same.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn keep_loop_rolled<T, const DIN: usize, const DOUT: usize>() {
    if const { weight_beyond_l1::<T, DIN, DOUT>() } {
        core::hint::black_box(());
    }
}

/// Whether W takes more than 32 KiB, the L1 of most cores with SIMD: at
/// batch 1 it then streams from L2 or beyond.
pub(crate) const fn weight_beyond_l1<T, const DIN: usize, const DOUT: usize>() -> bool {
    DIN.saturating_mul(DOUT).saturating_mul(size_of::<T>()) > 32 << 10
}

/// A W this small (twice L1) keeps its panels in L1 and L2 however they
/// are strided: dW never packs it.
const DW_PACK_MIN_BYTES: u64 = 64 * 1024;

/// The cache (see [`aliasing`]) that the lines one in-place dW tile reads
/// for each panel may claim before dW packs instead: 128 KiB, a bound
/// fitted to measurements (on the core of [`IN_PLACE_PANEL_BYTES`])
/// rather than derived.
const DW_IN_PLACE_BYTES: u64 = 128 * 1024;

/// Whether dW packs panels of dY and copies slices of X (see
/// [`dw_packed_panels`]) for `rows` batch rows: two row tiles or more,
/// a W over 64 KiB, and more than [`DW_IN_PLACE_BYTES`]
/// claimed by the lines an in-place tile reads for each panel: `rows` of X
/// (`DIN` elements apart, the same for every panel of the tile) and `rows`
/// of dY (`DOUT` apart).
///
/// Timed in turns, dW in place against packed, within the bound: f32
/// 32 × 256 → 256 +15–20 %, 64 × 256 → 256 +10–17 %, 200 → 264 +17–18 %;
/// f64 32 × 256 → 256 +5–10 %, 200 → 264 +19–28 %. Past it: f32 64 × 256 →
/// 512 −8 %, 64 × 256 → 1024 −11 %, 64 × 512 → 256 −9 %, 128 × 256 → 256
/// −7 %; f64 64 × 256 → 128 −6 %, 128 × 256 → 256 −8 %. It packs f32
/// 64 × 128 → 1024, which ran 6–21 % faster in place.
pub(crate) const fn dw_packs<T: Element, const DIN: usize, const DOUT: usize>(rows: usize) -> bool {
    dw_packs_at(rows, DIN, DOUT, size_of::<T>())
}

/// [`dw_packs`] for a `din → dout` layer of `elem_bytes`-byte
/// elements, the form the stack bound asks too.
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
/// builds, two row tiles or more; see [`dx_packed_panels`]) or dW's
/// packed panels of dY with their slices of X (see
/// [`dw_packed_panels`]), whichever is larger; the two passes run one
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

/// dY panels packed together for one pass over the rows of dW.
pub(crate) const DW_PANELS: usize = 16;

/// Batch rows per packed block of dY panels: 16 panels × 128 rows ×
/// `FORWARD_VECTORS` vectors of 32 bytes make 128 KiB on the stack with
/// AVX and NEON (2 vectors) and 64 KiB on SSE2 (1 vector), 256 KiB with
/// AVX-512 (2 vectors of 64 bytes), which L2 holds while every row tile of
/// dW streams through it. 128 rows, not 64, so that a batch of 128 makes
/// one pass over dW instead of a second one adding to the first: timed in
/// turns on the Zen 4 machine (AVX-512), dW f32 128 × 512 → 512 +2–4 %,
/// f64 +2–3 %, f64 256 × 512 → 512 and f32 512 × 1024 → 1024 +2 %, f32
/// 300 × 512 → 512 level (on the Zen 5 machine, level to 2 % slower).
/// Eight panels 128 deep, the same stack as sixteen 64 deep, ran up to
/// 5 % slower.
pub(crate) const DW_DEPTH: usize = 128;

/// Row tiles of dW whose slices of X one copy fetches: the copy reads
/// `X_TILES · FORWARD_ROWS` contiguous inputs of each batch row (whole cache
/// lines, where one tile's slice reads parts of one or two), and the next
/// `X_TILES - 1` row tiles find their slices already copied. At d_in = 512
/// this is what brought dW level with 504 (see [`dw_packed_panels`]).
pub(crate) const X_TILES: usize = 4;

/// dW's block of packed dY: `DW_PANELS` panels, each `DW_DEPTH`
/// batch rows of `FORWARD_VECTORS` vectors (see [`dw_packed_panels`]).
pub(crate) type DyPanels<T> = [[[V<T>; FORWARD_VECTORS]; DW_DEPTH]; DW_PANELS];

/// The slices of X that row tiles of dW read, one per tile, each contiguous:
/// `slices[t][r]` holds `x[r][from + t·FORWARD_ROWS ..][.. FORWARD_ROWS]`.
/// 24 KiB of stack in f64 with AVX (12 KiB in f32), 32 KiB with AVX-512.
pub(crate) type XSlices<T> = [[[T; FORWARD_ROWS]; DW_DEPTH]; X_TILES];

/// Batches below this many rows ask for the next dW tile's lines before
/// each tile runs. A tile's FMAs are then too few to cover its stores,
/// which waited for lines of dW to come from L2: in a profile of f32
/// 8 × 512 → 512, 29 % of dW's samples sat on one store. Timed in turns
/// with the lines asked for: f32 8 × 512 → 512 +50–58 %, 8 × 256 → 256
/// +62–67 %, 8 × 200 → 264 +39 %, 4 × 1024 → 1024 +21 %, f64
/// 8 × 512 → 512 +22 %; batch 16 level (+2–3 %), 24 and 48 −2 to −4 %.
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
