//! Register-tiled SIMD micro-kernels over `wide` vectors.
//!
//! # The forward tile
//!
//! W is stored d_in × d_out, so row `W[k][..]` is already the contiguous
//! panel a broadcast kernel wants, with no heap. A tile holds
//! `R` batch rows × `N` vectors of outputs in registers for the whole
//! k-loop; each step loads `N` vectors of `W[k][j..]` and broadcasts each
//! `X[r][k]` once:
//!
//! ```text
//!              W[k][j .. j + N·L]     (L = lanes: 8 f32, 4 f64; AVX-512 16, 8)
//!             | w0 .. w(L-1) | wL .. w(2L-1) |
//! X[0][k] ──▶ |  acc[0][0]   |   acc[0][1]   |
//! X[1][k] ──▶ |  acc[1][0]   |   acc[1][1]   |
//!   ...       |     ...      |      ...      |
//! X[R-1][k]──▶|  acc[R-1][0] |   acc[R-1][1] |      acc[r][v] += X[r][k] · W[k][j + vL ..]
//! ```
//!
//! With AVX2+FMA (16 ymm registers) the tile is 6 × 2 vectors: 12
//! accumulators, 2 loads of W and 1 broadcast, 15 registers. Twelve
//! independent FMA chains cover the FMA latency × throughput product
//! (4 cycles × 2 per cycle = 8 chains needed). With AVX-512 (32 zmm
//! registers, 16 f32 lanes) it is 8 × 2 vectors: 16 accumulators. The
//! tile sizes per backend live in `kernel/mod.rs` with their reasoning.
//!
//! # Loop order and packing
//!
//! The forward walks one column panel of W (`FORWARD_VECTORS` vectors
//! wide) past every row block of a group of rows, so a panel comes from
//! memory once per group. A group is as many rows as keep in L2 the part
//! of X that one pass reads: whole rows for an unpacked W, `PACK_DEPTH`
//! columns of them for a packed one. Rows of W lie `DOUT` elements
//! apart, and at power-of-two widths (512 f32 = 2 KiB) a panel's rows all
//! map to two of L1's 64 sets: the panel cannot stay in L1 however small
//! it is. Read in place, it comes from L2 for every row block after the
//! first, which measured as fast as a copy while its rows claim no more
//! than 512 KiB of cache. Past that (`weight_packs`: at 128 × 512 → 512,
//! say), once the batch has two row tiles, each panel is copied, 512 rows
//! of W at a time (256 with AVX-512's wider vectors), into a 32 KiB block
//! (16 KiB on SSE2, whose panels are one vector wide) on the stack, which
//! every row block then reads in order (measured at 128 × 512 → 512, 256
//! rows at a time: 55 → 72 GFLOP/s). The group's
//! first row tile makes the copy: it reads W in place and stores each row
//! of the panel into the block as its FMAs use it, so that W's wait on
//! memory overlaps arithmetic instead of stalling a loop that only copies.
//! dW packs panels of dY the same way, sixteen panels at a time, and
//! copies each row tile's strided slice of X once for all sixteen, four
//! tiles' slices in one pass (128 KiB of stack for dY and 24 KiB for X
//! in f64 on AVX and NEON; 256 and 32 KiB with AVX-512; 64 and 16 KiB on
//! SSE2; see `weight_packed_panels`), once the lines that a tile would
//! read in place claim more than 128 KiB of cache
//! (`weight_gradient_packs`). Smaller layers and batches skip the copies,
//! which there only cost time.
//!
//! # Tails
//!
//! Every kernel walks its rows in blocks whose row count is fixed at compile
//! time, through one driver (`for_each_row_block`): full `FORWARD_ROWS` tiles,
//! then 4, 2 and 1 rows. With 6-row tiles, 6 + 2 leftover rows run as 4 + 4: a
//! 2-row tile has only 4 FMA chains and waits on latency. Columns go through a
//! second driver (`for_each_column_block`), shared by the forward, the GEMV
//! of rows that fit one register tile, and dW: full panels (and, where
//! panels are three vectors wide, tiles of two for the last three or four
//! vectors), then one-vector tiles for the columns left; the last few
//! (fewer than a vector) run one more vector tile ending at the last
//! column, overlapping columns already done, whose overlapping lanes are
//! computed and not stored. Only a layer narrower than one vector has
//! scalar columns. The GEMV of wider rows (`stream_rows`) adds into y in
//! memory row after row, where an overlapping vector would add twice: it
//! keeps that last vector in a register for the whole pass and stores its
//! last lanes once. No masked loads, no out-of-bounds reads: every load is
//! of a full, in-bounds chunk.
//!
//! # The other three
//!
//! - `dX = dY·Wᵀ` is a forward pass with dY for X and Wᵀ for W. In AVX
//!   builds, once the batch has two row tiles, each 512-deep block of a panel
//!   of Wᵀ is transposed out of W (`LANES × LANES` elements at a time) into
//!   a packed block like the forward's, and the forward's tile runs on it: the
//!   transposition is paid once per block for every row tile (measured: dX at
//!   32 × 128 → 64 went from 61 to 70–87 GFLOP/s, at 128 × 512 → 512 from 67
//!   to 87). SSE2 and NEON builds do not compile this path: there `wide`
//!   transposes element by element, and it ran 2 to 6 times slower. Smaller
//!   batches, inputs past the last full panel, and every other backend read
//!   rows of W contiguously in a dot-product tile of `R` batch rows × `I` rows
//!   of W, each an accumulator of partial sums, with one horizontal sum per
//!   output at the end (with AVX-512, all of a tile's sums in one tree of
//!   shuffles: `Vector::sums`). At batch 1 all the tile's accumulators go
//!   to rows of W (`DX_ROWS · DX_COLS` of them, up to 8), so that as many
//!   FMA chains run.
//! - `dW = Xᵀ·dY` is the forward tile with the batch as the k-loop: a tile
//!   of dW rows × output vectors stays in registers for the whole batch and
//!   is stored (or added) once. Read in place with AVX-512, the tile is 8
//!   rows × 3 vectors (`WEIGHT_VECTORS`). Below batch 16 its FMAs are too
//!   few to hide the stores' wait for lines of dW, so on x86 each tile
//!   first asks for the next tile's lines with a write-intent prefetch. At
//!   batch 1 it is the outer product `x ⊗ dy`, written one row of dW at a
//!   time in stored order; where W fits L1, in the same pass as dX
//!   (`backward_row_input_and_weight`): each dot tile's rows of W, then the
//!   same rows of dW. In AVX builds, where W is larger and its rows longer
//!   than 8 vectors, dX's dot products go one row of W at a time
//!   (`row_dot`), and the backward writes each row of dW in the same loop
//!   as that row's dot product. Batches too small to pack make one pass
//!   too (`backward_few_rows_input_and_weight`): for each block of W, dX's
//!   dot tiles for every batch row, then those rows of dW in dW's tiles.
//! - `db = Σ dY` sums dY down the batch in tiles of `BIAS_VECTORS` vectors.
//!
//! # What the compiler makes of it
//!
//! `scripts/kernel-asm` builds the layer benchmark for AVX2+FMA and
//! disassembles these kernels as it instantiates them (the kernel issue's
//! shapes, f32 and f64), counting panic paths, stack accesses and FMAs per
//! instance. On rustc 1.95 none has a panic path (no bounds check
//! survives). The f32 forward tile's inner loop keeps every accumulator in
//! a register (6 × 2: 2 loads of W, 6 broadcasts and 12 FMAs per k); its
//! stack accesses are loop bookkeeping outside the FMA loops, and in the
//! packed kernels the reads of the packed panel, which lives on the stack
//! by design. The dX dot tile's stack accesses (up to 42 per instance)
//! are not spills either: its accumulators stay in registers,
//! and the stack holds a copy of the tile's dY rows, which LLVM hoists out
//! of the loop over rows of W (they do not change there) and then loads
//! from the stack where the source loads them from dY: one load each way.
//! `scripts/kernel-asm backward_input` prints the loop.
//!
//! # Inlining in test builds
//!
//! The tiles and drivers are `#[inline(always)]` only where debug
//! assertions are off. Forced inlining is what puts each tile's loads and
//! FMAs in one loop body in release builds; in test builds (about a thousand
//! shape and type instances) it copied every tile into every call site, and
//! the x86 kernel test binary held 393 MB of code. Left to the compiler
//! there, it holds 185 MB and builds in about half the time.
//!
//! Sums run in a different order than [`super::reference`], and fused
//! multiply-adds round once where mul-then-add rounds twice: results agree
//! with the reference within the usual `n·ε·Σ|terms|` bound, not bit for bit.

use super::backend::{DX_COLS, DX_ROWS, FORWARD_ROWS, FORWARD_VECTORS, GEMV_VECTORS, WEIGHT_VECTORS};
use super::epilogue::{Epilogue, Update};
use super::simd::Vector;
use crate::Element;

/// The `wide` vector of an element type.
type V<T> = <T as crate::element::Sealed>::Vector;

/// The most lanes a vector has on this target (f32's): sizes the scratch
/// arrays of the transposition, which any element type's vectors fill.
#[cfg(target_feature = "avx")]
const MOST_LANES: usize = size_of::<V<f32>>() / size_of::<f32>();

/// Lanes of `T`'s vector.
const fn lanes<T: Element>() -> usize {
    <V<T> as Vector<T>>::LANES
}

/// Loads the vector at `src[at..]`; zero if it would read past the end
/// (which the kernels' bounds rule out, so the branch folds away).
#[cfg_attr(not(debug_assertions), inline(always))]
fn load<T: Element>(src: &[T], at: usize) -> V<T> {
    match src.get(at..) {
        Some(rest) => V::<T>::load(rest),
        None => V::<T>::ZERO,
    }
}

/// Stores the forward's outputs `value` at `dst[at..]`, passed through
/// `epilogue`, leaving the first `skip` lanes' columns as they are.
#[cfg_attr(not(debug_assertions), inline(always))]
fn store_output<T: Element, E: Epilogue<T>>(dst: &mut [T], at: usize, skip: usize, value: V<T>, epilogue: E) {
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
fn store<T: Element>(dst: &mut [T], at: usize, skip: usize, value: V<T>, update: Update) {
    if let Some(rest) = dst.get_mut(at..) {
        let value = match update {
            Update::Overwrite => value,
            Update::Accumulate => V::<T>::load(rest) + value,
        };
        if skip == 0 { value.store(rest) } else { value.store_from(rest, skip) }
    }
}

// ---------------------------------------------------------------- forward

/// `Y = f(X·W + b)` (or `f(X·W)` without a bias), `f` being the epilogue.
///
/// Rows go in groups small enough that the X a group reads stays in L2
/// (see [`forward_group_rows`]); within a group, one column panel of W at a
/// time meets every row block, so the panel is read from memory once per
/// group and from L1/L2 for every other block.
pub fn forward<T: Element, E: Epilogue<T>, const DIN: usize, const DOUT: usize>(
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
/// block on the stack. (A block zeroed for every panel cost 5–8 % at
/// 64 × 256 → 256: the zeroing wrote 32 KiB, and emptied L1 of the rows of
/// X that every panel reads again.) A function of its own, so that only
/// the calls that pack have the block in their stack frame.
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

/// The forward's block of packed rows of W (see [`forward_packed_panel`]).
type PackedBlock<T> = [[V<T>; FORWARD_VECTORS]; PACK_DEPTH];

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
fn forward_group_rows<T: Element, const DIN: usize, const DOUT: usize>(rows: usize) -> usize {
    let (bytes, depth) = if weight_packs(DIN, DOUT, size_of::<T>()) {
        (PACKED_GROUP_BYTES, DIN.min(PACK_DEPTH))
    } else {
        (FORWARD_GROUP_BYTES, DIN)
    };
    let budget = (bytes / (depth * size_of::<T>())).max(2 * FORWARD_ROWS) & !1;
    let groups = rows.div_ceil(budget).max(1);
    (rows.div_ceil(groups).div_ceil(2) * 2).max(2)
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

/// One output the scalar way, for layers narrower than one vector.
#[cfg_attr(not(debug_assertions), inline(always))]
fn scalar_output<T: Element, const DIN: usize, const DOUT: usize>(
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
struct Columns {
    j: usize,
    skip: usize,
}

/// The columns from `j` to the end when fewer than a vector remain: one
/// vector ending at the last column, whose first lanes overlap columns
/// already done and are computed but not stored. The wasted lanes cost far
/// less than scalar columns, each one chain of dependent adds (measured:
/// the 6 columns left at 300 → 70 took three quarters of the forward's
/// time). `None` when no column is left, or when the layer is narrower
/// than one vector (those columns stay scalar).
#[cfg_attr(not(debug_assertions), inline(always))]
fn last_columns<T: Element, const DOUT: usize>(j: usize) -> Option<Columns> {
    let start = DOUT.checked_sub(lanes::<T>())?;
    (j < DOUT).then(|| Columns { j: start, skip: j.saturating_sub(start) })
}

/// A kernel over the columns of its outputs (of Y, or of dW), which
/// [`for_each_column_block`] walks from left to right.
trait ColumnTile {
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
fn for_each_column_block<T: Element, K: ColumnTile, const WIDE: usize, const DOUT: usize>(from: usize, kernel: &mut K) {
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
/// not five threes and a one. (dW in place at f32 64 × 256 → 128, eight
/// vectors, ran 10 % slower as 3 + 3 + 1 + 1 than as four twos.) Other
/// widths run as many whole tiles as fit.
const fn column_tiles(vectors: usize, wide: usize) -> (usize, usize) {
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
trait RowTile {
    /// Computes the block of `R` rows whose first is row `first`.
    fn tile<const R: usize>(&mut self, first: usize);
}

/// Runs `kernel` over `rows` rows: blocks of `FORWARD_ROWS`, then 4, 2 and
/// 1, except that with 6-row tiles 6 + 2 leftover rows run as 4 + 4 (two
/// tiles of 8 FMA chains each, rather than one of 12 and one of 4 that
/// waits on FMA latency).
#[cfg_attr(not(debug_assertions), inline(always))]
#[allow(clippy::modulo_one, reason = "FORWARD_ROWS is 1 on the scalar backend, which never runs the tiles")]
fn for_each_row_block<K: RowTile>(rows: usize, kernel: &mut K) {
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

/// Rows `first .. first + R` of `rows`, if they are all there.
#[cfg_attr(not(debug_assertions), inline(always))]
fn block<T, const R: usize>(rows: &[T], first: usize) -> Option<&[T; R]> {
    rows.get(first..)?.first_chunk::<R>()
}

/// Rows `first .. first + R` of `rows`, mutably, if they are all there.
#[cfg_attr(not(debug_assertions), inline(always))]
fn block_mut<T, const R: usize>(rows: &mut [T], first: usize) -> Option<&mut [T; R]> {
    rows.get_mut(first..)?.first_chunk_mut::<R>()
}

/// One step of a register tile's inner loop: row `r` of the accumulators
/// gains `a_r · b`, one broadcast of `a_r` and one FMA per vector of `b`.
/// Rows past the end of `a` are left alone. The forward passes a column
/// of X and a row of W; dW a row of Xᵀ and a row of dY.
#[cfg_attr(not(debug_assertions), inline(always))]
fn rank_one_update<T: Element, const R: usize, const N: usize>(
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
fn store_forward_tile<T: Element, E: Epilogue<T>, const R: usize, const N: usize, const DOUT: usize>(
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
fn store_tile<T: Element, const R: usize, const N: usize, const DOUT: usize>(
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
/// dX packs its own blocks, `INPUT_PACK_DEPTH` deep.
const PACK_DEPTH: usize = if size_of::<V<f32>>() == 64 { 256 } else { 512 };

/// Rows of Wᵀ (columns of W) per block of dX's packed panels: 512 on every
/// AVX build, 64 KiB with AVX-512. On the Xeon 256 rows had run dX 2–4 %
/// faster at 128 × 512 → 512; on the Zen 4 machine, whose 32 KiB L1 holds
/// neither block beside the rows of dY a tile reads, 512 ran faster, timed
/// in turns: f32 128 × 512 → 512 +1–2 %, 64 × 256 → 1024 +5 %,
/// 512 × 1024 → 1024 +2 %; f64 128 × 512 → 512 and 256 × 512 → 512 +3–4 %;
/// 16 × 512 → 512 level. One block across all of dY's columns also leaves
/// no partial sums in dX between blocks.
#[cfg(target_feature = "avx")]
const INPUT_PACK_DEPTH: usize = 512;

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
const fn weight_packs(din: usize, dout: usize, elem_bytes: usize) -> bool {
    let spacing = (dout as u64).saturating_mul(elem_bytes as u64);
    (din as u64).saturating_mul(aliasing(spacing)) > IN_PLACE_PANEL_BYTES
}

/// Whether the forward packs panels of W for `rows` batch rows: at least
/// two row tiles to share each packed block, and a panel that claims too
/// much cache to be read in place (see [`weight_packs`]).
const fn forward_packs<T: Element, const DIN: usize, const DOUT: usize>(rows: usize) -> bool {
    rows >= 2 * FORWARD_ROWS && weight_packs(DIN, DOUT, size_of::<T>())
}

/// Stack bytes of the forward's packed block for a `din → dout` layer of
/// `elem_bytes`-byte elements: 0 for a layer that never packs. (Both
/// element types' vectors have one size: 32 bytes, 64 with AVX-512.)
pub(super) const fn forward_pack_stack_bytes(din: usize, dout: usize, elem_bytes: usize) -> u64 {
    if weight_packs(din, dout, elem_bytes) { size_of::<PackedBlock<f32>>() as u64 } else { 0 }
}

/// One full column panel (from column `j`) for every row, through packed
/// blocks of `PACK_DEPTH` rows of W. Y holds partial sums between blocks;
/// the bias starts the first, the epilogue finishes the last.
///
/// The first row tile reads each block's rows of W in place and fills the
/// packed block on the way; the other row tiles read the block. Packed in
/// a loop of its own before the tiles ran, the copy waited on W's rows,
/// one 4 KiB page apart at 512 → 512 in f64 and each a miss to L3, with
/// no arithmetic to overlap: on the Zen 4 machine an eighth of the f64
/// forward's samples at 128 × 512 → 512 sat in that loop. Timed in turns
/// against it there (same bits): see BENCHMARKS.md's Zen 4 section.
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
enum Start<'b, T, const DOUT: usize> {
    /// The first block: from the bias (or zero without one).
    Bias(Option<&'b [T; DOUT]>),
    /// A later block: from the partial sums already in Y.
    Partial,
}

/// One packed block of a panel, rows `k0 ..` of W, for the rows of a group.
struct PackedForward<'a, 'b, T: Element, E, const DIN: usize, const DOUT: usize> {
    x: &'a [[T; DIN]],
    y: &'a mut [[T; DOUT]],
    panel: &'a [[V<T>; FORWARD_VECTORS]],
    k0: usize,
    j: usize,
    start: Start<'b, T, DOUT>,
    finish: bool,
    epilogue: E,
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
        // rows), one row's check stayed in the loop, and its broadcast went
        // through a register, one more shuffle on the FMAs' port: the f32
        // and f64 forward and dX at 128 × 512 → 512 ran 2–6 % slower.
        for (w, k) in self.panel.iter().zip(self.k0..DIN) {
            rank_one_update(&mut acc, x.iter().map(|x_row| x_row[k]), w);
        }
        store_forward_tile(&acc, y, Columns { j, skip: 0 }, self.finish, self.epilogue);
    }
}

/// Batch 1 (GEMV): memory-bound, so the aim is to stream W at full
/// bandwidth, as an axpy over rows of W, `y += x[k] · W[k][..]`.
///
/// A row that fits one register tile (`GEMV_VECTORS` vectors) keeps y in
/// registers, in as many accumulator sets as make 8 independent FMA chains
/// (see [`OneRow`]'s `tile`). A wider row streams W a few rows at a time in its
/// stored order, with y in L1 (see [`stream_rows`]): walking W one column
/// block at a time instead would stride a whole row between loads, which
/// defeats the hardware prefetcher once W leaves L2 (measured: a quarter
/// of the plain loop's speed at 1024 → 1024).
///
/// Where the compiler would unroll either loop into iterations that read
/// more than 1 KiB of W, it is kept rolled (see [`keep_loop_rolled`]).
fn forward_one_row<T: Element, E: Epilogue<T>, const DIN: usize, const DOUT: usize>(
    x: &[T; DIN],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &mut [T; DOUT],
    epilogue: E,
) {
    // Every choice here is a constant block, so that a shape compiles only
    // the kernel it runs (a plain `if` or `match` on `lanes()`, a call,
    // compiled every arm for every shape).
    if const { DOUT > GEMV_VECTORS * lanes::<T>() } {
        stream_rows(x, weight, bias, y);
        // y was built in L1 over the whole pass; it is still there.
        for y_j in y.iter_mut() {
            *y_j = epilogue.apply(*y_j);
        }
        return;
    }
    // One tile as wide as the row's whole vectors, so that W is read once,
    // and the tile's chains come from k (several rows at a time), not from
    // passes over W with one vector each.
    let mut row = OneRow { x, weight, bias, y, epilogue };
    if const { DOUT < 2 * lanes::<T>() } {
        for_each_column_block::<T, _, 1, DOUT>(0, &mut row);
    } else if const { DOUT < 3 * lanes::<T>() } {
        for_each_column_block::<T, _, 2, DOUT>(0, &mut row);
    } else if const { DOUT < 4 * lanes::<T>() } {
        for_each_column_block::<T, _, 3, DOUT>(0, &mut row);
    } else {
        for_each_column_block::<T, _, GEMV_VECTORS, DOUT>(0, &mut row);
    }
}

/// The one row of a batch-1 forward that fits a register tile.
struct OneRow<'a, T: Element, E, const DIN: usize, const DOUT: usize> {
    x: &'a [T; DIN],
    weight: &'a [[T; DOUT]; DIN],
    bias: Option<&'a [T; DOUT]>,
    y: &'a mut [T; DOUT],
    epilogue: E,
}

impl<T: Element, E: Epilogue<T>, const DIN: usize, const DOUT: usize> ColumnTile for OneRow<'_, T, E, DIN, DOUT> {
    /// `⌈8 / N⌉` accumulator sets, so that every tile, even a one-vector
    /// one, keeps at least eight FMA chains in flight: FMA latency ×
    /// throughput on current x86 and Arm cores. (64 → 32 in f32 with
    /// AVX-512, two vectors, ran as two one-vector passes with two chains
    /// each before: 121 GFLOP/s; as one tile with four sets: 158–162.)
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn tile<const N: usize>(&mut self, columns: Columns) {
        let (x, weight, bias, y, epilogue) = (self.x, self.weight, self.bias, &mut *self.y, self.epilogue);
        // Constant tests: each width compiles only its own set count.
        if N == 1 {
            gemv_tile::<T, E, N, 8, DIN, DOUT>(x, weight, bias, y, columns, epilogue);
        } else if N == 2 {
            gemv_tile::<T, E, N, 4, DIN, DOUT>(x, weight, bias, y, columns, epilogue);
        } else if N == 3 {
            gemv_tile::<T, E, N, 3, DIN, DOUT>(x, weight, bias, y, columns, epilogue);
        } else {
            gemv_tile::<T, E, N, 2, DIN, DOUT>(x, weight, bias, y, columns, epilogue);
        }
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn column(&mut self, column: usize) {
        if let Some(y_j) = self.y.get_mut(column) {
            *y_j = self.epilogue.apply(scalar_output(self.x, self.weight, self.bias, column));
        }
    }
}

/// `N` vectors of a GEMV output at `columns`, in `SETS` accumulator sets
/// (see [`OneRow`]'s `tile`): row `k` of W adds into set `k % SETS`, one
/// row of W for each set per loop iteration.
#[cfg_attr(not(debug_assertions), inline(always))]
fn gemv_tile<T: Element, E: Epilogue<T>, const N: usize, const SETS: usize, const DIN: usize, const DOUT: usize>(
    x: &[T; DIN],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &mut [T; DOUT],
    columns: Columns,
    epilogue: E,
) {
    let (lanes, j) = (lanes::<T>(), columns.j);
    let mut sets = [[V::<T>::ZERO; N]; SETS];
    if let Some(b) = bias {
        for (v, acc) in sets[0].iter_mut().enumerate() {
            *acc = load(b, j + v * lanes);
        }
    }
    let (w_blocks, w_last) = weight.as_chunks::<SETS>();
    let (x_blocks, x_last) = x.as_chunks::<SETS>();
    // `set += x_k · W[k][j..]`, N vectors.
    let add_row = |set: &mut [V<T>; N], w_row: &[T; DOUT], x_k: T| {
        let x_k = V::<T>::splat(x_k);
        for (v, acc) in set.iter_mut().enumerate() {
            *acc = x_k.mul_add(load(w_row, j + v * lanes), *acc);
        }
    };
    for (w_block, x_block) in w_blocks.iter().zip(x_blocks) {
        keep_loop_rolled::<T, DIN, DOUT>();
        for ((set, w_row), &x_k) in sets.iter_mut().zip(w_block).zip(x_block) {
            add_row(set, w_row, x_k);
        }
    }
    for ((set, w_row), &x_k) in sets.iter_mut().zip(w_last).zip(x_last) {
        add_row(set, w_row, x_k);
    }
    for v in 0..N {
        let total = sets[1..].iter().fold(sets[0][v], |sum, set| sum + set[v]);
        let skip = if v == 0 { columns.skip } else { 0 };
        store_output(y, j + v * lanes, skip, total, epilogue);
    }
}

/// `y = b + Σ_k x[k] · W[k][..]`, a few rows of W per pass over y: two
/// while a row takes 512 bytes or less (a pass is then one loop iteration
/// once the compiler unrolls the columns, and two rows keep it within
/// 1 KiB), four for wider rows, whose columns stay a loop and which pass
/// over y fewer times.
fn stream_rows<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[T; DIN],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &mut [T; DOUT],
) {
    if const { DOUT * size_of::<T>() <= 512 } {
        stream_row_blocks::<T, 2, DIN, DOUT>(x, weight, bias, y);
    } else {
        stream_row_blocks::<T, 4, DIN, DOUT>(x, weight, bias, y);
    }
}

/// [`stream_rows`], `ROWS` rows of W per pass over y.
fn stream_row_blocks<T: Element, const ROWS: usize, const DIN: usize, const DOUT: usize>(
    x: &[T; DIN],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &mut [T; DOUT],
) {
    *y = match bias {
        Some(b) => *b,
        None => [T::ZERO; DOUT],
    };
    let lanes = lanes::<T>();
    // The last columns (fewer than a vector) add up in registers for the
    // whole pass, as one vector ending at the last column, stored once at
    // the end: added into y row after row, its lanes over columns already
    // done would count twice. One chain per row of a block, so that the
    // chains stay short beside the rest of the pass. (DOUT is wider than
    // `GEMV_VECTORS` vectors.)
    let whole = DOUT / lanes * lanes;
    let tail_at = DOUT - lanes;
    let mut tails = [V::<T>::ZERO; ROWS];
    tails[0] = load(y, tail_at);
    let (w_blocks, w_last) = weight.as_chunks::<ROWS>();
    let (x_blocks, x_last) = x.as_chunks::<ROWS>();
    for (w, x) in w_blocks.iter().zip(x_blocks) {
        keep_loop_rolled::<T, DIN, DOUT>();
        let xv: [V<T>; ROWS] = core::array::from_fn(|k| V::<T>::splat(x[k]));
        let mut j = 0;
        while j + lanes <= DOUT {
            let mut acc = load(y, j);
            for (x_k, w_row) in xv.iter().zip(w) {
                acc = x_k.mul_add(load(w_row, j), acc);
            }
            store(y, j, 0, acc, Update::Overwrite);
            j += lanes;
        }
        if whole < DOUT {
            for ((tail, x_k), w_row) in tails.iter_mut().zip(&xv).zip(w) {
                *tail = x_k.mul_add(load(w_row, tail_at), *tail);
            }
        }
    }
    for ((w_row, &x_k), tail) in w_last.iter().zip(x_last).zip(&mut tails) {
        let x_v = V::<T>::splat(x_k);
        let mut j = 0;
        while j + lanes <= DOUT {
            let acc = x_v.mul_add(load(w_row, j), load(y, j));
            store(y, j, 0, acc, Update::Overwrite);
            j += lanes;
        }
        if whole < DOUT {
            *tail = x_v.mul_add(load(w_row, tail_at), *tail);
        }
    }
    if whole < DOUT {
        let tail = tails.iter().fold(V::<T>::ZERO, |sum, &chain| sum + chain);
        store(y, tail_at, whole - tail_at, tail, Update::Overwrite);
    }
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
/// [`weight_outer_product`]). Only speed depends on it: were the hint
/// ignored, the results would be the same.
#[cfg_attr(not(debug_assertions), inline(always))]
fn keep_loop_rolled<T, const DIN: usize, const DOUT: usize>() {
    if const { weight_beyond_l1::<T, DIN, DOUT>() } {
        core::hint::black_box(());
    }
}

/// Whether W takes more than 32 KiB, the L1 of most cores with SIMD: at
/// batch 1 it then streams from L2 or beyond.
const fn weight_beyond_l1<T, const DIN: usize, const DOUT: usize>() -> bool {
    DIN.saturating_mul(DOUT).saturating_mul(size_of::<T>()) > 32 << 10
}

// ---------------------------------------------------------- dX = dY·Wᵀ

/// `dX = dY·Wᵀ`: `dx[r][i] = Σ_j dy[r][j] · W[i][j]`, a dot product of two
/// contiguous rows.
pub fn backward_input<T: Element, const DIN: usize, const DOUT: usize>(
    dy: &[[T; DOUT]],
    weight: &[[T; DOUT]; DIN],
    dx: &mut [[T; DIN]],
) {
    if let ([dy_row], [dx_row]) = (dy, &mut *dx) {
        if const { runs_row_by_row::<T, DIN, DOUT>() } {
            for (w_row, dx_i) in weight.iter().zip(dx_row) {
                *dx_i = row_dot::<T, DIN, DOUT>(dy_row, w_row, |_, _| {});
            }
            return;
        }
        // Batch 1 is a GEMV over rows of W: the tile's accumulators all go
        // to rows of W, so that as many FMA chains run (rather than the
        // `DX_COLS` of a one-row tile).
        let mut row = InputTile { dy: core::array::from_ref(dy_row), dx: core::array::from_mut(dx_row) };
        return for_each_weight_block::<T, _, GEMV_W_ROWS, DIN, DOUT>(weight, 0, &mut row);
    }
    let from = if input_packs(dy.len()) { input_packed_panels(dy, weight, dx) } else { 0 };
    for_each_batch_block(dy, dx, &mut AllOfW { weight, from });
}

/// Whether dX runs packed blocks of Wᵀ (see [`input_packed_panels`]) for
/// `rows` batch rows: with AVX, two row tiles or more to share each block.
const fn input_packs(rows: usize) -> bool {
    cfg!(target_feature = "avx") && rows >= 2 * FORWARD_ROWS
}

/// Rows of Wᵀ in dX's packed block for a layer with `dout` outputs: as
/// many as dY is wide, up to `INPUT_PACK_DEPTH`.
const fn input_pack_depth(dout: usize) -> usize {
    #[cfg(target_feature = "avx")]
    if dout > INPUT_PACK_DEPTH {
        return INPUT_PACK_DEPTH;
    }
    dout
}

/// Rows of W per dot tile at batch 1, where all the tile's accumulators go
/// to rows of W: as many as the dX tile has accumulators, up to 8. (With
/// the 16 of AVX-512's tile, f32 1 × 256 → 128 ran 17 % slower.)
const GEMV_W_ROWS: usize = if DX_ROWS * DX_COLS < 8 { DX_ROWS * DX_COLS } else { 8 };

/// Fills `panel[k][v]` with a block of Wᵀ: lane `l` holds
/// `W[i + v·LANES + l][k0 + k]`.
#[cfg(target_feature = "avx")]
#[cfg_attr(not(debug_assertions), inline(always))]
fn pack_transposed<T: Element, const DIN: usize, const DOUT: usize>(
    weight: &[[T; DOUT]; DIN],
    i: usize,
    k0: usize,
    panel: &mut [[V<T>; FORWARD_VECTORS]],
) {
    let lanes = lanes::<T>();
    let mut columns = [V::<T>::ZERO; MOST_LANES];
    for v in 0..FORWARD_VECTORS {
        let first = i + v * lanes;
        let rows = weight.get(first..first + lanes).unwrap_or(&[]);
        for (c, chunk) in panel.chunks_mut(lanes).enumerate() {
            let k = k0 + c * lanes;
            if chunk.len() == lanes {
                V::<T>::load_transposed(rows, k, &mut columns);
                for (slot, &column) in chunk.iter_mut().zip(&columns) {
                    slot[v] = column;
                }
            } else {
                for (t, slot) in chunk.iter_mut().enumerate() {
                    let mut lane_values = [T::ZERO; MOST_LANES];
                    for (value, row) in lane_values.iter_mut().zip(rows) {
                        *value = row.get(k + t).copied().unwrap_or(T::ZERO);
                    }
                    slot[v] = V::<T>::load(&lane_values);
                }
            }
        }
    }
}

/// `dX = dY·Wᵀ` is a forward pass with dY for X and Wᵀ for W. For batches
/// of two row tiles or more, each full panel of inputs runs the packed
/// forward kernel on blocks of Wᵀ, transposed out of W `LANES × LANES`
/// elements at a time: no horizontal sums, and the transposition is paid
/// once per block for every row tile. Returns the first input not computed.
///
/// Only compiled for AVX: elsewhere `wide` transposes element by element,
/// and this path measured 2 to 6 times slower than the dot tiles on SSE2
/// (the stand-in below leaves every input to them).
#[cfg(target_feature = "avx")]
#[inline(never)]
fn input_packed_panels<T: Element, const DIN: usize, const DOUT: usize>(
    dy: &[[T; DOUT]],
    weight: &[[T; DOUT]; DIN],
    dx: &mut [[T; DIN]],
) -> usize {
    // A block no deeper than dY is wide: zeroing a whole block (32 KiB, as
    // it was then) for every call cost 5 % of dX at f32 32 × 128 → 64 (3 %
    // in f64).
    if DOUT <= INPUT_PACK_DEPTH {
        input_panels_through(dy, weight, dx, &mut [[V::<T>::ZERO; FORWARD_VECTORS]; DOUT])
    } else {
        input_panels_through(dy, weight, dx, &mut [[V::<T>::ZERO; FORWARD_VECTORS]; INPUT_PACK_DEPTH])
    }
}

/// [`input_packed_panels`] with `packed` for its block of Wᵀ.
#[cfg(target_feature = "avx")]
#[cfg_attr(not(debug_assertions), inline(always))]
fn input_panels_through<T: Element, const DIN: usize, const DOUT: usize>(
    dy: &[[T; DOUT]],
    weight: &[[T; DOUT]; DIN],
    dx: &mut [[T; DIN]],
    packed: &mut [[V<T>; FORWARD_VECTORS]],
) -> usize {
    let lanes = lanes::<T>();
    let mut i = 0;
    while i + FORWARD_VECTORS * lanes <= DIN {
        let mut k0 = 0;
        while k0 < DOUT {
            let depth = INPUT_PACK_DEPTH.min(DOUT - k0);
            let Some(panel) = packed.get_mut(..depth) else { return 0 };
            pack_transposed(weight, i, k0, panel);
            let start = if k0 == 0 { Start::Bias(None) } else { Start::Partial };
            let finish = k0 + depth == DOUT;
            let panel = &*panel;
            let mut tiles = PackedForward {
                x: dy,
                y: &mut *dx,
                panel,
                k0,
                j: i,
                start,
                finish,
                epilogue: super::epilogue::Identity,
            };
            for_each_row_block(dy.len(), &mut tiles);
            k0 += depth;
        }
        i += FORWARD_VECTORS * lanes;
    }
    i
}

/// Without AVX no input goes through packed panels: all start at 0.
#[cfg(not(target_feature = "avx"))]
fn input_packed_panels<T: Element, const DIN: usize, const DOUT: usize>(
    _dy: &[[T; DOUT]],
    _weight: &[[T; DOUT]; DIN],
    _dx: &mut [[T; DIN]],
) -> usize {
    0
}

// dX's dot tiles.
//
// A dot tile holds `R` batch rows × `I` rows of W. Two drivers place them:
// one walks the batch in blocks of rows, the other walks W in blocks of
// rows. `backward_input` walks all of W for each block of the batch (the
// batch's rows are read once); the one-pass backward for small batches
// walks every block of the batch for each block of W (W and dW are read
// once, each block of dW written while that block of W is at hand).

/// A kernel over blocks of batch rows, which [`for_each_batch_block`]
/// walks from top to bottom.
trait BatchRowBlock<T, const DIN: usize, const DOUT: usize> {
    /// Computes the block of `R` rows `dy`, `dx`.
    fn tile<const R: usize>(&mut self, dy: &[[T; DOUT]; R], dx: &mut [[T; DIN]; R]);
}

/// Runs `kernel` over the rows of `dy` and `dx` (the same number): blocks
/// of `DX_ROWS` rows, then of 4 where the tile is taller, then 2 and 1.
#[cfg_attr(not(debug_assertions), inline(always))]
fn for_each_batch_block<T, K: BatchRowBlock<T, DIN, DOUT>, const DIN: usize, const DOUT: usize>(
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
trait WeightRowBlock<T, const DOUT: usize> {
    /// Computes with `w_rows`, the `I` rows of W from row `first` on.
    fn rows<const I: usize>(&mut self, w_rows: &[[T; DOUT]; I], first: usize);
}

/// Runs `kernel` over the rows `from ..` of W: blocks of `I` rows, then
/// one at a time.
#[cfg_attr(not(debug_assertions), inline(always))]
fn for_each_weight_block<T, K: WeightRowBlock<T, DOUT>, const I: usize, const DIN: usize, const DOUT: usize>(
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

/// One block of `R` batch rows: a dot tile for each block of W it is given.
struct InputTile<'a, T, const R: usize, const DIN: usize, const DOUT: usize> {
    dy: &'a [[T; DOUT]; R],
    dx: &'a mut [[T; DIN]; R],
}

impl<T: Element, const R: usize, const DIN: usize, const DOUT: usize> WeightRowBlock<T, DOUT>
    for InputTile<'_, T, R, DIN, DOUT>
{
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn rows<const I: usize>(&mut self, w_rows: &[[T; DOUT]; I], first: usize) {
        dot_tile::<T, R, I, DIN, DOUT>(self.dy, w_rows, self.dx, first);
    }
}

/// W's rows `from ..` for each block of batch rows it is given, `DX_COLS`
/// at a time.
struct AllOfW<'a, T, const DIN: usize, const DOUT: usize> {
    weight: &'a [[T; DOUT]; DIN],
    from: usize,
}

impl<T: Element, const DIN: usize, const DOUT: usize> BatchRowBlock<T, DIN, DOUT> for AllOfW<'_, T, DIN, DOUT> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn tile<const R: usize>(&mut self, dy: &[[T; DOUT]; R], dx: &mut [[T; DIN]; R]) {
        for_each_weight_block::<T, _, DX_COLS, DIN, DOUT>(self.weight, self.from, &mut InputTile { dy, dx });
    }
}

/// All the batch rows of `dy` and `dx` (the same number), for each block of
/// W it is given.
struct InputRows<'a, T, const DIN: usize, const DOUT: usize> {
    dy: &'a [[T; DOUT]],
    dx: &'a mut [[T; DIN]],
}

impl<T: Element, const DIN: usize, const DOUT: usize> WeightRowBlock<T, DOUT> for InputRows<'_, T, DIN, DOUT> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn rows<const I: usize>(&mut self, w_rows: &[[T; DOUT]; I], first: usize) {
        for_each_batch_block(self.dy, self.dx, &mut DotTiles { w_rows, first });
    }
}

/// One block of `I` rows of W, the first of them row `first`: a dot tile
/// for each block of batch rows it is given.
struct DotTiles<'a, T, const I: usize, const DOUT: usize> {
    w_rows: &'a [[T; DOUT]; I],
    first: usize,
}

impl<T: Element, const I: usize, const DIN: usize, const DOUT: usize> BatchRowBlock<T, DIN, DOUT>
    for DotTiles<'_, T, I, DOUT>
{
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn tile<const R: usize>(&mut self, dy: &[[T; DOUT]; R], dx: &mut [[T; DIN]; R]) {
        dot_tile::<T, R, I, DIN, DOUT>(dy, self.w_rows, dx, self.first);
    }
}

/// The most accumulators a dot tile has: 8 × 2 with AVX-512, and 8 rows
/// of W at batch 1.
const DOT_TILE_MOST: usize = 16;

/// `R` batch rows × `I` rows of W (inputs `i0 ..`): vector partial sums
/// over the outputs, one horizontal sum per result (all of the tile's at
/// once, see [`Vector::sums`]).
#[cfg_attr(not(debug_assertions), inline(always))]
fn dot_tile<T: Element, const R: usize, const I: usize, const DIN: usize, const DOUT: usize>(
    dy: &[[T; DOUT]; R],
    w_rows: &[[T; DOUT]; I],
    dx: &mut [[T; DIN]; R],
    i0: usize,
) {
    let lanes = lanes::<T>();
    let mut acc = [[V::<T>::ZERO; I]; R];
    let mut j = 0;
    while j + lanes <= DOUT {
        let w: [V<T>; I] = core::array::from_fn(|i| load(&w_rows[i], j));
        for (acc_row, dy_row) in acc.iter_mut().zip(dy) {
            let dy_v = load(dy_row, j);
            for (acc_v, &w_v) in acc_row.iter_mut().zip(&w) {
                *acc_v = dy_v.mul_add(w_v, *acc_v);
            }
        }
        j += lanes;
    }
    // All the tile's sums in one go where the backend adds them in trees;
    // elsewhere each where it is stored: through an array, AVX2's dX ran
    // 4 % slower at 8 × 512 → 512, timed in turns.
    const { assert!(R * I <= DOT_TILE_MOST, "a dot tile with more accumulators than its sums have room for") };
    let mut sums = [T::ZERO; DOT_TILE_MOST];
    if V::<T>::SUMS_IN_TREES {
        V::<T>::sums(acc.as_flattened(), &mut sums);
    }
    for (r, ((acc_row, dy_row), dx_row)) in acc.iter().zip(dy).zip(dx.iter_mut()).enumerate() {
        for (i, ((acc_v, w_row), dx_i)) in acc_row.iter().zip(w_rows).zip(dx_row.iter_mut().skip(i0)).enumerate() {
            let mut sum = match sums.get(r * I + i) {
                Some(&sum) if V::<T>::SUMS_IN_TREES => sum,
                _ => acc_v.sum(),
            };
            for column in j..DOUT {
                sum += dy_row[column] * w_row[column];
            }
            *dx_i = sum;
        }
    }
}

/// `dx = dy·Wᵀ` and `dW = Xᵀ·dy` for batches too small to pack (2 to
/// `2 · FORWARD_ROWS - 1` rows), in one pass over W and dW: each block of
/// `DX_COLS` rows of W gives its dot tiles for every batch row, then the
/// same rows of dW are written while that part of X is at hand. One after
/// the other, the two passes each stream a whole matrix, and at f32
/// 8 × 512 → 512 W and dW (1 MiB each) do not both fit L2: the backward
/// ran 17 % slower than its two passes timed apart.
///
/// dW's tiles here are `DX_COLS` rows × `FEW_ROWS_DW_VECTORS` vectors, 8
/// accumulator chains. Timed in turns against the two passes: f32
/// 8 × 512 → 512 +2 to +8 %, 8 × 200 → 264 +22–28 %, 4 × 1024 → 1024 +8 %,
/// f64 8 × 512 → 512 +9 %. (With the usual 2-vector dW tiles, 4 chains:
/// f32 8 × 512 → 512 −2 to −4 %.) The tiles are the two passes' own, so the
/// results are the same to the bit.
pub fn backward_few_rows_input_and_weight<T: Element, const DIN: usize, const DOUT: usize>(
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
    let mut blocks = FewRowsInputAndWeight { input: InputRows { dy: dy_rows, dx }, x, dy, dw, update };
    for_each_weight_block::<T, _, DX_COLS, DIN, DOUT>(weight, 0, &mut blocks);
}

/// Vectors per dW tile in [`backward_few_rows_input_and_weight`].
const FEW_ROWS_DW_VECTORS: usize = 4;

/// dX's dot tiles for a block of W, then the same rows of dW.
struct FewRowsInputAndWeight<'a, T, const DIN: usize, const DOUT: usize> {
    input: InputRows<'a, T, DIN, DOUT>,
    x: &'a [[T; DIN]],
    dy: &'a [[T; DOUT]],
    dw: &'a mut [[T; DOUT]; DIN],
    update: Update,
}

impl<T: Element, const DIN: usize, const DOUT: usize> WeightRowBlock<T, DOUT>
    for FewRowsInputAndWeight<'_, T, DIN, DOUT>
{
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn rows<const I: usize>(&mut self, w_rows: &[[T; DOUT]; I], first: usize) {
        self.input.rows(w_rows, first);
        let Self { x, dy, update, .. } = *self;
        if let Some(dw_rows) = block_mut::<_, I>(self.dw, first) {
            let mut tiles = WeightBlock { x, dy, dw_rows, first, update };
            for_each_column_block::<T, _, FEW_ROWS_DW_VECTORS, DOUT>(0, &mut tiles);
        }
    }
}

/// `dx = dy·Wᵀ` and `dW = x ⊗ dy` for one batch row. Both walk the rows
/// of W and dW in the same order, so where W fits L1 they run as one pass:
/// a dot tile's rows of W, then the same rows of dW, while that part of x
/// is at hand. On the Xeon of the first benchmarks, timed in turns against
/// the two passes one after the other, f32 64 → 32 and 256 → 128 ran
/// 13–21 % faster so, and 512 → 512 and 1024 → 1024 level; f32 100 → 37
/// ran 27 % faster overwriting and 8–11 % slower accumulating.
///
/// Where W is larger, two passes: on the Zen 5 machine, with dW written
/// one row per loop iteration (see [`keep_loop_rolled`]; dW alone at
/// 256 → 128: 126 → 185 GB/s), the one pass took 1.84–1.88 µs at f32
/// 256 → 128 overwriting and 1.72–1.74 accumulating, the two 1.40–1.42
/// either way; 256 → 64 and 100 → 200 ran 7–10 % faster, 512 → 512 2 %
/// slower, 1024 → 1024 level or faster (medians of runs in turns, three
/// each). At 64 → 32 the one pass stays ahead.
///
/// Where W is larger and its rows long (see [`runs_row_by_row`]), one pass
/// again, but a row at a time: `dx[i] = dy · W[i]` ([`row_dot`]) and
/// `dW[i] = x[i] · dy` in the same loop, from the same loads of dy, so W is
/// read and dW written in one ascending stream each, a few hundred bytes
/// of each per loop iteration. On the Zen 5 machine, hand-written loops
/// over 1024 × 1024 f32 (4 MiB each, in L3) read W in 36 µs and wrote dW
/// in 41, one after the other, and did both in the same loop in 68: the
/// reads of one overlap the writes of the other.
pub fn backward_row_input_and_weight<T: Element, const DIN: usize, const DOUT: usize>(
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
            let last = outer_product_last_columns(tail, x_v, dy, dw_row, update);
            *dx_i = row_dot::<T, DIN, DOUT>(dy, w_row, |at, dy_v| store(dw_row, at, 0, x_v * dy_v, update));
            if let Some((j, value)) = last {
                store(dw_row, j, 0, value, Update::Overwrite);
            }
        }
        return;
    }
    if const { weight_beyond_l1::<T, DIN, DOUT>() } {
        backward_input(core::slice::from_ref(dy), weight, core::slice::from_mut(dx));
        weight_outer_product(x, dy, dw, update);
        return;
    }
    let input = InputTile { dy: core::array::from_ref(dy), dx: core::array::from_mut(dx) };
    let mut blocks = RowInputAndWeight { input, x, dw, update };
    for_each_weight_block::<T, _, GEMV_W_ROWS, DIN, DOUT>(weight, 0, &mut blocks);
}

/// Whether the batch-1 backward, and dX alone at batch 1, go one row of W
/// at a time ([`backward_row_input_and_weight`], [`row_dot`]): in AVX builds,
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
const fn runs_row_by_row<T: Element, const DIN: usize, const DOUT: usize>() -> bool {
    cfg!(target_feature = "avx") && DOUT / lanes::<T>() > 8 && weight_beyond_l1::<T, DIN, DOUT>()
}

/// Vectors of a row per loop iteration in [`row_dot`], each its own FMA
/// chain. (2 and 8 ran slower at some shapes, in turns.)
const ROW_STEP: usize = 4;

/// `dy · w_row`, `ROW_STEP` vectors per loop iteration, and `also(at, dy_v)`
/// for each vector of dy it loads (at column `at`), so that dW's row can be
/// written from the same loads. The columns after the last whole vector
/// add in one by one.
#[cfg_attr(not(debug_assertions), inline(always))]
fn row_dot<T: Element, const DIN: usize, const DOUT: usize>(
    dy: &[T; DOUT],
    w_row: &[T; DOUT],
    mut also: impl FnMut(usize, V<T>),
) -> T {
    let lanes = lanes::<T>();
    let step = ROW_STEP * lanes;
    let mut acc = [V::<T>::ZERO; ROW_STEP];
    let mut j = 0;
    while j + step <= DOUT {
        keep_loop_rolled::<T, DIN, DOUT>();
        for (v, acc_v) in acc.iter_mut().enumerate() {
            let at = j + v * lanes;
            let dy_v = load(dy, at);
            *acc_v = dy_v.mul_add(load(w_row, at), *acc_v);
            also(at, dy_v);
        }
        j += step;
    }
    for acc_v in &mut acc {
        if j + lanes <= DOUT {
            let dy_v = load(dy, j);
            *acc_v = dy_v.mul_add(load(w_row, j), *acc_v);
            also(j, dy_v);
            j += lanes;
        }
    }
    let [a, b, c, d] = acc;
    let mut sum = ((a + b) + (c + d)).sum();
    for column in j..DOUT {
        sum += dy[column] * w_row[column];
    }
    sum
}

/// dX's dot tile for a block of W, then the same rows of dW, at batch 1.
struct RowInputAndWeight<'a, T, const DIN: usize, const DOUT: usize> {
    input: InputTile<'a, T, 1, DIN, DOUT>,
    x: &'a [T; DIN],
    dw: &'a mut [[T; DOUT]; DIN],
    update: Update,
}

impl<T: Element, const DIN: usize, const DOUT: usize> WeightRowBlock<T, DOUT> for RowInputAndWeight<'_, T, DIN, DOUT> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn rows<const I: usize>(&mut self, w_rows: &[[T; DOUT]; I], first: usize) {
        self.input.rows(w_rows, first);
        if let (Some(x_part), Some(dw_rows)) = (block::<_, I>(self.x, first), block_mut::<_, I>(self.dw, first)) {
            weight_outer_product::<T, I, DOUT>(x_part, &self.input.dy[0], dw_rows, self.update);
        }
    }
}

// ---------------------------------------------------------- dW = Xᵀ·dY

/// `dW = Xᵀ·dY`, written or added as `update` says: `Σ_r x[r][i] · dy[r][j..]`,
/// each tile of dW held in registers for the whole batch and stored once.
///
/// For large batches and weights, the full column panels of dY are packed
/// as the forward packs W (see [`forward_packed_panel`]), sixteen panels
/// `WEIGHT_DEPTH` batch rows deep at a time, reused by every row block of dW.
pub fn backward_weight<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    dy: &[[T; DOUT]],
    dw: &mut [[T; DOUT]; DIN],
    update: Update,
) {
    if let ([x_row], [dy_row]) = (x, dy) {
        return weight_outer_product(x_row, dy_row, dw, update);
    }
    let mut from = 0;
    if weight_gradient_packs::<T, DIN, DOUT>(dy.len()) {
        from = weight_packed_panels(x, dy, dw, update);
    }
    if from < DOUT {
        for_each_row_block(DIN, &mut WeightRows { x, dy, dw, update, from });
    }
}

/// Batch 1: `dW = x ⊗ dy`, two FLOPs per element of dW and nothing to keep
/// in registers, so the aim is to write dW at full bandwidth: one row at a
/// time, in its stored order (a tile of rows would write several rows at
/// once in short pieces), one row per loop iteration where dW is larger
/// than L1 (see [`keep_loop_rolled`]; f32 256 → 128 on the Zen 5 machine,
/// unrolled by the compiler: 126 GB/s, one row per iteration: 185).
///
/// A row's last few columns (fewer than a vector) are one vector ending at
/// the last column, computed before the rest of the row is stored and then
/// stored whole, overlap included: it reads dW (when accumulating) before
/// the row's other stores land, not just after them, which stalled every
/// row while the load waited for the overlapping store (measured f32
/// 100 → 37, accumulating: 5.1 → 26.8 GFLOP/s; overwriting, where the
/// vector replaces lane-by-lane stores: 14.6 → 28.7).
fn weight_outer_product<T: Element, const DIN: usize, const DOUT: usize>(
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
        let last = outer_product_last_columns(tail, x_v, dy, dw_row, update);
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
/// [`last_columns`]): where they start and the vector ending at the last
/// column, to be computed before the row's other stores and stored after
/// them, whole (see [`weight_outer_product`]).
#[cfg_attr(not(debug_assertions), inline(always))]
fn outer_product_last_columns<T: Element, const DOUT: usize>(
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

/// A W this small (twice L1) keeps its panels in L1 and L2 however they
/// are strided: dW never packs it.
const WEIGHT_GRADIENT_PACK_MIN_BYTES: u64 = 64 * 1024;

/// The cache (see [`aliasing`]) that the lines one in-place dW tile reads
/// for each panel may claim before dW packs instead: 128 KiB, a bound
/// fitted to measurements (on the core of [`IN_PLACE_PANEL_BYTES`])
/// rather than derived.
const WEIGHT_GRADIENT_IN_PLACE_BYTES: u64 = 128 * 1024;

/// Whether dW packs panels of dY and copies slices of X (see
/// [`weight_packed_panels`]) for `rows` batch rows: two row tiles or more,
/// a W over 64 KiB, and more than [`WEIGHT_GRADIENT_IN_PLACE_BYTES`]
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
const fn weight_gradient_packs<T: Element, const DIN: usize, const DOUT: usize>(rows: usize) -> bool {
    weight_gradient_packs_at(rows, DIN, DOUT, size_of::<T>())
}

/// [`weight_gradient_packs`] for a `din → dout` layer of `elem_bytes`-byte
/// elements, the form the stack bound asks too.
const fn weight_gradient_packs_at(rows: usize, din: usize, dout: usize, elem_bytes: usize) -> bool {
    let elem_bytes = elem_bytes as u64;
    let weight_bytes = (din as u64).saturating_mul(dout as u64).saturating_mul(elem_bytes);
    let lines = aliasing((din as u64).saturating_mul(elem_bytes))
        .saturating_add(aliasing((dout as u64).saturating_mul(elem_bytes)));
    rows >= 2 * FORWARD_ROWS
        && weight_bytes > WEIGHT_GRADIENT_PACK_MIN_BYTES
        && (rows as u64).saturating_mul(lines) > WEIGHT_GRADIENT_IN_PLACE_BYTES
}

/// Stack bytes of the backward's largest block for `rows` batch rows of a
/// `din → dout` layer of `elem_bytes`-byte elements: dX's block of Wᵀ (AVX
/// builds, two row tiles or more; see [`input_packed_panels`]) or dW's
/// packed panels of dY with their slices of X (see
/// [`weight_packed_panels`]), whichever is larger; the two passes run one
/// after the other. 0 where neither packs.
pub(super) const fn backward_pack_stack_bytes(rows: usize, din: usize, dout: usize, elem_bytes: usize) -> u64 {
    // A vector is as wide in f64 as in f32, so f32's vectors size both.
    let input = if input_packs(rows) { input_pack_depth(dout) * size_of::<[V<f32>; FORWARD_VECTORS]>() } else { 0 };
    let weight = if !weight_gradient_packs_at(rows, din, dout, elem_bytes) {
        0
    } else if elem_bytes == size_of::<f64>() {
        size_of::<DyPanels<f64>>() + size_of::<XSlices<f64>>()
    } else {
        size_of::<DyPanels<f32>>() + size_of::<XSlices<f32>>()
    };
    (if input > weight { input } else { weight }) as u64
}

/// dY panels packed together for one pass over the rows of dW.
const WEIGHT_PANELS: usize = 16;

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
const WEIGHT_DEPTH: usize = 128;

/// Row tiles of dW whose slices of X one copy fetches: the copy reads
/// `X_TILES · FORWARD_ROWS` contiguous inputs of each batch row (whole cache
/// lines, where one tile's slice reads parts of one or two), and the next
/// `X_TILES - 1` row tiles find their slices already copied. At d_in = 512
/// this is what brought dW level with 504 (see [`weight_packed_panels`]).
const X_TILES: usize = 4;

/// dW's block of packed dY: `WEIGHT_PANELS` panels, each `WEIGHT_DEPTH`
/// batch rows of `FORWARD_VECTORS` vectors (see [`weight_packed_panels`]).
type DyPanels<T> = [[[V<T>; FORWARD_VECTORS]; WEIGHT_DEPTH]; WEIGHT_PANELS];

/// The slices of X that row tiles of dW read, one per tile, each contiguous:
/// `slices[t][r]` holds `x[r][from + t·FORWARD_ROWS ..][.. FORWARD_ROWS]`.
/// 24 KiB of stack in f64 with AVX (12 KiB in f32), 32 KiB with AVX-512.
type XSlices<T> = [[[T; FORWARD_ROWS]; WEIGHT_DEPTH]; X_TILES];

/// Every full column panel of dW from packed panels of dY; returns the
/// first column it did not compute.
///
/// A dW tile reads `x[r][i .. i + R]` down the batch, `DIN` elements
/// apart: at power-of-two widths all those rows fall in a few L1 and L2
/// sets and evict one another, and the prefetcher, which does not cross
/// pages, cannot fetch them ahead. So `WEIGHT_PANELS` panels of dY are
/// packed at once (`WEIGHT_DEPTH` batch rows deep), and each row tile's
/// slice of X is copied once into a small contiguous block that every
/// packed panel then reads from L1: one strided read of X per 16 panels
/// instead of one per panel. One copy fetches the slices of `X_TILES` row
/// tiles.
///
/// Measured against one panel at a time, 256 rows deep, in three
/// interleaved runs (medians): f64 128 × 512 → 512 went from 24–28 to
/// 30–34 GFLOP/s and f32 from 64–75 to 68–79. Four panels at a time gained
/// nothing; 16 panels 32 rows deep and 8 panels 64 rows deep ran a little
/// slower than 16 × 64 (128 deep since: see `WEIGHT_DEPTH`). With one copy
/// of X per row tile, d_in = 512 still ran 6–7 % slower than 504 in f64
/// (1–3 % in f32), timed in turns; with one copy per four tiles the two
/// run level: dW at f64 128 × 512 → 512 gained 4–9 % (64 × 256 → 256 and
/// 300 × 512 → 512: 2–6 %), and f32 ran level with the copy per tile
/// (within ±4 %, the harness's spread).
#[inline(never)]
fn weight_packed_panels<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    dy: &[[T; DOUT]],
    dw: &mut [[T; DOUT]; DIN],
    update: Update,
) -> usize {
    let width = FORWARD_VECTORS * lanes::<T>();
    let full_panels = DOUT / width;
    let mut packed: DyPanels<T> = [[[V::<T>::ZERO; FORWARD_VECTORS]; WEIGHT_DEPTH]; WEIGHT_PANELS];
    let mut x_slices: XSlices<T> = [[[T::ZERO; FORWARD_ROWS]; WEIGHT_DEPTH]; X_TILES];
    let mut panel = 0;
    while panel < full_panels {
        let count = (full_panels - panel).min(WEIGHT_PANELS);
        let j = panel * width;
        for (block, (x, dy_rows)) in x.chunks(WEIGHT_DEPTH).zip(dy.chunks(WEIGHT_DEPTH)).enumerate() {
            // Row by row: each row of dY gives all the panels' columns in one
            // contiguous read. Panel by panel, which read one panel's width
            // from each row in turn, dW ran 2–4 % slower at f64 128 × 512 → 512.
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
                PackedWeight { x, x_slices: &mut x_slices, copied_from: None, panels, dw: &mut *dw, j, update };
            for_each_row_block(DIN, &mut tiles);
        }
        panel += count;
    }
    panel * width
}

/// One packed block of several dY panels (batch rows of `x`), for every row of dW.
struct PackedWeight<'a, T: Element, const DIN: usize, const DOUT: usize> {
    x: &'a [[T; DIN]],
    x_slices: &'a mut XSlices<T>,
    /// The first input `x_slices` holds, once a tile has copied them.
    copied_from: Option<usize>,
    panels: &'a [[[V<T>; FORWARD_VECTORS]; WEIGHT_DEPTH]],
    dw: &'a mut [[T; DOUT]; DIN],
    j: usize,
    update: Update,
}

impl<T: Element, const DIN: usize, const DOUT: usize> RowTile for PackedWeight<'_, T, DIN, DOUT> {
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
/// in tiles `WEIGHT_VECTORS` wide.
///
/// With AVX-512 a tile is 3 vectors wide, 24 accumulators, where the
/// forward's is 2: the k-loop here is the batch, often short, and every
/// column tile reads the rows' slice of X again, so wider tiles mean fewer
/// of them and fewer loads per FMA. Timed in turns against 8 × 2 (dW
/// alone, overwriting): f32 64 × 256 → 256 +6–7 %, 64 × 200 → 264 +4–7 %,
/// 100 × 300 → 200 +3–5 %, 33 × 127 → 65 +3–6 %, 16 × 512 → 512 +1–3 %;
/// f64 32 × 256 → 256 +9–12 %, 64 × 128 → 96 +6–8 %; f32 32 × 256 → 256,
/// 64 × 256 → 128 and 64 × 256 → 512, f64 64 × 256 → 256 and
/// 64 × 256 → 512 level.
struct WeightRows<'a, T: Element, const DIN: usize, const DOUT: usize> {
    x: &'a [[T; DIN]],
    dy: &'a [[T; DOUT]],
    dw: &'a mut [[T; DOUT]; DIN],
    update: Update,
    from: usize,
}

impl<T: Element, const DIN: usize, const DOUT: usize> RowTile for WeightRows<'_, T, DIN, DOUT> {
    /// `R` rows of dW (inputs `first ..`) from column `from` on.
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn tile<const R: usize>(&mut self, first: usize) {
        let Some(dw_rows) = block_mut::<_, R>(self.dw, first) else { return };
        let mut block = WeightBlock { x: self.x, dy: self.dy, dw_rows, first, update: self.update };
        for_each_column_block::<T, _, WEIGHT_VECTORS, DOUT>(self.from, &mut block);
    }
}

/// `R` rows of dW (inputs `first ..`), walked by column tile.
struct WeightBlock<'a, T: Element, const R: usize, const DIN: usize, const DOUT: usize> {
    x: &'a [[T; DIN]],
    dy: &'a [[T; DOUT]],
    dw_rows: &'a mut [[T; DOUT]; R],
    first: usize,
    update: Update,
}

impl<T: Element, const R: usize, const DIN: usize, const DOUT: usize> ColumnTile for WeightBlock<'_, T, R, DIN, DOUT> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn tile<const N: usize>(&mut self, columns: Columns) {
        weight_tile::<T, R, N, DIN, DOUT>(self.x, self.dy, self.dw_rows, self.first, columns, self.update);
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
fn weight_tile<T: Element, const R: usize, const N: usize, const DIN: usize, const DOUT: usize>(
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

/// Batches below this many rows ask for the next dW tile's lines before
/// each tile runs. A tile's FMAs are then too few to cover its stores,
/// which waited for lines of dW to come from L2: in a profile of f32
/// 8 × 512 → 512, 29 % of dW's samples sat on one store. Timed in turns
/// with the lines asked for: f32 8 × 512 → 512 +50–58 %, 8 × 256 → 256
/// +62–67 %, 8 × 200 → 264 +39 %, 4 × 1024 → 1024 +21 %, f64
/// 8 × 512 → 512 +22 %; batch 16 level (+2–3 %), 24 and 48 −2 to −4 %.
const PREFETCH_DW_BELOW: usize = 16;

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

// ---------------------------------------------------------- db = Σ dY

/// `db = Σ over the batch of dY`, written or added as `update` says: tiles
/// of `BIAS_VECTORS` vectors of columns, each summed down the whole batch
/// in registers and stored once.
///
/// One vector at a time (the code before) read each of the batch's rows
/// for every 64 bytes, one dependent add after the other: at f64
/// 128 × 512 → 512 on the Zen 5 machine that took 42–43 µs, 3–4 % of
/// the backward; the tiles take 7.6. Summed in the same
/// order for every column, the results are the same to the bit.
pub fn backward_bias<T: Element, const DOUT: usize>(dy: &[[T; DOUT]], db: &mut [T; DOUT], update: Update) {
    for_each_column_block::<T, _, BIAS_VECTORS, DOUT>(0, &mut BiasTile { dy, db, update });
}

/// Vectors per tile of [`backward_bias`]: four chains of adds, and a
/// quarter of the passes down the batch that one-vector tiles make.
const BIAS_VECTORS: usize = 4;

/// dY's rows and db, for [`for_each_column_block`].
struct BiasTile<'a, T, const DOUT: usize> {
    dy: &'a [[T; DOUT]],
    db: &'a mut [T; DOUT],
    update: Update,
}

impl<T: Element, const DOUT: usize> ColumnTile for BiasTile<'_, T, DOUT> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn tile<const N: usize>(&mut self, columns: Columns) {
        let lanes = lanes::<T>();
        let mut acc = [V::<T>::ZERO; N];
        for dy_row in self.dy {
            for (v, acc_v) in acc.iter_mut().enumerate() {
                *acc_v = *acc_v + load(dy_row, columns.j + v * lanes);
            }
        }
        store_tile(&[acc], core::array::from_mut(self.db), columns, self.update);
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn column(&mut self, column: usize) {
        let mut sum = T::ZERO;
        for dy_row in self.dy {
            sum += dy_row[column];
        }
        if let Some(db_j) = self.db.get_mut(column) {
            self.update.apply(db_j, sum);
        }
    }
}

#[cfg(test)]
mod coverage;

#[cfg(test)]
mod tests {
    use super::{PACK_DEPTH, column_tiles, forward_group_rows};

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
