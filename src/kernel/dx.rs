//! `dX = dY·Wᵀ`: `dx[r][i] = Σ_j dy[r][j] · W[i][j]`.
//!
//! Two ways, by batch and backend:
//!
//! - dot tiles of `R` batch rows × `I` rows of W, each accumulator a vector
//!   of partial sums over a contiguous row, with one horizontal sum per
//!   output at the end (with AVX-512, all of a tile's sums in one tree of
//!   shuffles: `Vector::sums`). The loop nest: blocks of the batch
//!   (`drive::for_each_batch_block`), then blocks of rows of W
//!   (`drive::for_each_weight_block`), then the row. At batch 1 all of a
//!   tile's accumulators go to rows of W, so that as many FMA chains run.
//! - in AVX builds, once the batch has two row tiles (`tuning::dx_packs`),
//!   a forward pass with dY for X and Wᵀ for W: each block of a panel of Wᵀ
//!   is transposed out of W, `LANES × LANES` elements at a time, into a
//!   packed block, and the forward's packed tile runs on it, so the
//!   transposition is paid once per block for every row tile. Inputs past
//!   the last full panel go to the dot tiles.

#[cfg(target_feature = "avx")]
use super::backend::FORWARD_VECTORS;
use super::backend::{DX_COLS, DX_ROWS};
#[cfg(target_feature = "avx")]
use super::drive::for_each_row_block;
use super::drive::{BatchRowBlock, WeightRowBlock, for_each_batch_block, for_each_weight_block};
#[cfg(target_feature = "avx")]
use super::forward::{PackedForward, Start};
use super::micro::{V, lanes, load};
use super::simd::Vector;
#[cfg(target_feature = "avx")]
use super::tuning::DX_PACK_DEPTH;
use super::tuning::{dx_packs, keep_loop_rolled, runs_row_by_row};
use crate::Element;

/// The most lanes a vector has on this target (f32's): sizes the scratch
/// arrays of the transposition, which any element type's vectors fill.
#[cfg(target_feature = "avx")]
const MOST_LANES: usize = size_of::<V<f32>>() / size_of::<f32>();

/// `dX = dY·Wᵀ`: `dx[r][i] = Σ_j dy[r][j] · W[i][j]`, a dot product of two
/// contiguous rows.
#[inline]
pub(crate) fn backward_input<T: Element, const DIN: usize, const DOUT: usize>(
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
        let mut row = DxTile { dy: core::array::from_ref(dy_row), dx: core::array::from_mut(dx_row) };
        return for_each_weight_block::<T, _, GEMV_W_ROWS, DIN, DOUT>(weight, 0, &mut row);
    }
    let from = if dx_packs(dy.len()) { dx_packed_panels(dy, weight, dx) } else { 0 };
    for_each_batch_block(dy, dx, &mut AllOfW { weight, from });
}

/// Rows of W per dot tile at batch 1, where all the tile's accumulators go
/// to rows of W: as many as the dX tile has accumulators, up to 8: enough
/// FMA chains to cover latency, where more would only add loads of W in
/// flight. Measurements: BENCHMARKS.md.
pub(crate) const GEMV_W_ROWS: usize = if DX_ROWS * DX_COLS < 8 { DX_ROWS * DX_COLS } else { 8 };

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
/// and the dot tiles win (the stand-in below leaves every input to them).
/// Measurements: BENCHMARKS.md.
#[cfg(target_feature = "avx")]
#[inline(never)]
fn dx_packed_panels<T: Element, const DIN: usize, const DOUT: usize>(
    dy: &[[T; DOUT]],
    weight: &[[T; DOUT]; DIN],
    dx: &mut [[T; DIN]],
) -> usize {
    // A block no deeper than dY is wide, so that a narrow dY does not pay
    // for zeroing a whole block on every call.
    if DOUT <= DX_PACK_DEPTH {
        dx_packed_panels_through(dy, weight, dx, &mut [[V::<T>::ZERO; FORWARD_VECTORS]; DOUT])
    } else {
        dx_packed_panels_through(dy, weight, dx, &mut [[V::<T>::ZERO; FORWARD_VECTORS]; DX_PACK_DEPTH])
    }
}

/// [`dx_packed_panels`] with `packed` for its block of Wᵀ.
#[cfg(target_feature = "avx")]
#[cfg_attr(not(debug_assertions), inline(always))]
fn dx_packed_panels_through<T: Element, const DIN: usize, const DOUT: usize>(
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
            let depth = DX_PACK_DEPTH.min(DOUT - k0);
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
fn dx_packed_panels<T: Element, const DIN: usize, const DOUT: usize>(
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

/// One block of `R` batch rows: a dot tile for each block of W it is given.
pub(crate) struct DxTile<'a, T, const R: usize, const DIN: usize, const DOUT: usize> {
    pub(crate) dy: &'a [[T; DOUT]; R],
    pub(crate) dx: &'a mut [[T; DIN]; R],
}

impl<T: Element, const R: usize, const DIN: usize, const DOUT: usize> WeightRowBlock<T, DOUT>
    for DxTile<'_, T, R, DIN, DOUT>
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
        for_each_weight_block::<T, _, DX_COLS, DIN, DOUT>(self.weight, self.from, &mut DxTile { dy, dx });
    }
}

/// All the batch rows of `dy` and `dx` (the same number), for each block of
/// W it is given.
pub(crate) struct DxRows<'a, T, const DIN: usize, const DOUT: usize> {
    pub(crate) dy: &'a [[T; DOUT]],
    pub(crate) dx: &'a mut [[T; DIN]],
}

impl<T: Element, const DIN: usize, const DOUT: usize> WeightRowBlock<T, DOUT> for DxRows<'_, T, DIN, DOUT> {
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
    // elsewhere each where it is stored, not through the array, which
    // would cost a store and a load per sum.
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

/// Vectors of a row per loop iteration in [`row_dot`], each its own FMA
/// chain: enough chains for one row to cover FMA latency.
/// Measurements: BENCHMARKS.md.
const ROW_STEP: usize = 4;

/// `dy · w_row`, `ROW_STEP` vectors per loop iteration, and `also(at, dy_v)`
/// for each vector of dy it loads (at column `at`), so that dW's row can be
/// written from the same loads. The columns after the last whole vector
/// add in one by one.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn row_dot<T: Element, const DIN: usize, const DOUT: usize>(
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
