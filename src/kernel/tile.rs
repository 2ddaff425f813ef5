//! Register-tiled SIMD micro-kernels over `wide` vectors.
//!
//! # The forward tile
//!
//! W is stored d_in × d_out, so row `W[k][..]` is already the contiguous
//! panel a broadcast kernel wants: no packing, no scratch. A tile holds
//! `R` batch rows × `N` vectors of outputs in registers for the whole
//! k-loop; each step loads `N` vectors of `W[k][j..]` and broadcasts each
//! `X[r][k]` once:
//!
//! ```text
//!              W[k][j .. j + N·L]     (L = lanes: 8 for f32, 4 for f64)
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
//! (4 cycles × 2 per cycle = 8 chains needed). The tile sizes per backend
//! live in `kernel/mod.rs` with their reasoning.
//!
//! # Tails
//!
//! Rows left over after the full tiles run the same kernel with 2 rows,
//! then 1 (each a separate kernel with its row count fixed at compile
//! time; three sizes rather than one per remainder keeps compile times and
//! code size down). Outputs not divisible by a tile run a one-vector tile,
//! then scalar columns. No masked loads, no scratch copies, no
//! out-of-bounds reads: every load is of a full, in-bounds chunk.
//!
//! # The other three
//!
//! - `dX = dY·Wᵀ` reads rows of W contiguously: a dot-product tile of
//!   `R` batch rows × `I` rows of W, each an accumulator of partial sums,
//!   with one horizontal sum per output at the end.
//! - `dW = Xᵀ·dY` is the forward tile with the batch as the k-loop: a tile
//!   of dW rows × output vectors stays in registers for the whole batch and
//!   is stored (or added) once.
//! - `db = Σ dY` sums vectors of dY rows.
//!
//! # What the compiler makes of it
//!
//! `scripts/kernel-asm` builds the tour for AVX2+FMA and disassembles
//! these kernels as it instantiates them (128 → 64, f32 and f64). On
//! rustc 1.95 none has a panic path (no bounds checks survive), and the
//! f32 forward's inner loops keep every accumulator in a register (the
//! 6 × 2 tile: 2 loads of W, 6 broadcasts and 12 FMAs per k). The forward's
//! stack accesses (23 in f32, 70 in f64) sit outside its FMA loops, where
//! the wide-row GEMV sets y to the bias. Not yet clean: LLVM hoists W
//! vectors of the dX tile out of the batch loop and reloads them from the
//! stack (80 accesses in the f32 kernel, 184 in f64).
//!
//! Sums run in a different order than [`super::reference`], and fused
//! multiply-adds round once where mul-then-add rounds twice: results agree
//! with the reference within the usual `n·ε·Σ|terms|` bound, not bit for bit.

use super::simd::Vector;
use super::{DX_COLS, DX_ROWS, FORWARD_ROWS, FORWARD_VECTORS, GEMV_VECTORS};
use super::{Epilogue, Update};
use crate::Element;

/// The `wide` vector of an element type.
type V<T> = <T as crate::element::Sealed>::Vector;

/// Lanes of `T`'s vector.
const fn lanes<T: Element>() -> usize {
    <V<T> as Vector<T>>::LANES
}

/// Loads the vector at `src[at..]`; zero if it would read past the end
/// (which the kernels' bounds rule out, so the branch folds away).
#[inline(always)]
fn load<T: Element>(src: &[T], at: usize) -> V<T> {
    match src.get(at..) {
        Some(rest) => V::<T>::load(rest),
        None => V::<T>::ZERO,
    }
}

/// Stores the forward's outputs `value` at `dst[at..]`, passed through `epilogue`.
#[inline(always)]
fn store_output<T: Element, E: Epilogue<T>>(dst: &mut [T], at: usize, value: V<T>, epilogue: E) {
    store(dst, at, value, Update::Overwrite);
    if let Some(stored) = dst.get_mut(at..at + lanes::<T>()) {
        for output in stored {
            *output = epilogue.apply(*output);
        }
    }
}

/// Stores `value` at `dst[at..]`, or adds it to what is there.
#[inline(always)]
fn store<T: Element>(dst: &mut [T], at: usize, value: V<T>, update: Update) {
    if let Some(rest) = dst.get_mut(at..) {
        let value = match update {
            Update::Overwrite => value,
            Update::Accumulate => V::<T>::load(rest) + value,
        };
        value.store(rest);
    }
}

// ---------------------------------------------------------------- forward

/// `Y = f(X·W + b)` (or `f(X·W)` without a bias), `f` being the epilogue.
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
    let (x, y) = forward_blocks::<T, E, FORWARD_ROWS, DIN, DOUT>(x, weight, bias, y, epilogue);
    let (x, y) = forward_blocks::<T, E, 2, DIN, DOUT>(x, weight, bias, y, epilogue);
    forward_blocks::<T, E, 1, DIN, DOUT>(x, weight, bias, y, epilogue);
}

/// Runs [`forward_rows`] on each whole block of `R` rows; returns the rows left over.
#[inline(always)]
fn forward_blocks<'x, 'y, T: Element, E: Epilogue<T>, const R: usize, const DIN: usize, const DOUT: usize>(
    x: &'x [[T; DIN]],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &'y mut [[T; DOUT]],
    epilogue: E,
) -> (&'x [[T; DIN]], &'y mut [[T; DOUT]]) {
    let mut x_blocks = x.chunks_exact(R);
    let mut y_blocks = y.chunks_exact_mut(R);
    for (x_block, y_block) in (&mut x_blocks).zip(&mut y_blocks) {
        forward_rows::<T, E, R, DIN, DOUT>(x_block, weight, bias, y_block, epilogue);
    }
    (x_blocks.remainder(), y_blocks.into_remainder())
}

/// All outputs of `R` batch rows: full tiles, one-vector tiles, then scalar columns.
#[inline(always)]
fn forward_rows<T: Element, E: Epilogue<T>, const R: usize, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &mut [[T; DOUT]],
    epilogue: E,
) {
    let (Ok(x), Ok(y)) = (<&[[T; DIN]; R]>::try_from(x), <&mut [[T; DOUT]; R]>::try_from(y)) else {
        return;
    };
    let lanes = lanes::<T>();
    let mut j = 0;
    while j + FORWARD_VECTORS * lanes <= DOUT {
        forward_tile::<T, E, R, FORWARD_VECTORS, DIN, DOUT>(x, weight, bias, y, j, epilogue);
        j += FORWARD_VECTORS * lanes;
    }
    while j + lanes <= DOUT {
        forward_tile::<T, E, R, 1, DIN, DOUT>(x, weight, bias, y, j, epilogue);
        j += lanes;
    }
    for column in j..DOUT {
        for (x_row, y_row) in x.iter().zip(y.iter_mut()) {
            let mut sum = bias.map_or(T::ZERO, |b| b[column]);
            for (&x_k, w_row) in x_row.iter().zip(weight) {
                sum += x_k * w_row[column];
            }
            y_row[column] = epilogue.apply(sum);
        }
    }
}

/// One `R × N`-vector tile of outputs starting at column `j`.
#[inline(always)]
fn forward_tile<T: Element, E: Epilogue<T>, const R: usize, const N: usize, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]; R],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &mut [[T; DOUT]; R],
    j: usize,
    epilogue: E,
) {
    let lanes = lanes::<T>();
    let start: [V<T>; N] = match bias {
        Some(b) => core::array::from_fn(|v| load(b, j + v * lanes)),
        None => [V::<T>::ZERO; N],
    };
    let mut acc = [start; R];
    for (k, w_row) in weight.iter().enumerate() {
        let w: [V<T>; N] = core::array::from_fn(|v| load(w_row, j + v * lanes));
        for (acc_row, x_row) in acc.iter_mut().zip(x) {
            let x_rk = V::<T>::splat(x_row[k]);
            for (acc_v, &w_v) in acc_row.iter_mut().zip(&w) {
                *acc_v = x_rk.mul_add(w_v, *acc_v);
            }
        }
    }
    for (acc_row, y_row) in acc.iter().zip(y.iter_mut()) {
        for (v, &acc_v) in acc_row.iter().enumerate() {
            store_output(y_row, j + v * lanes, acc_v, epilogue);
        }
    }
}

/// Batch 1 (GEMV): memory-bound, so the aim is to stream W at full
/// bandwidth, as an axpy over rows of W, `y += x[k] · W[k][..]`.
///
/// A row that fits one register tile (`GEMV_VECTORS` vectors) keeps y in
/// registers: two accumulator sets (even and odd k), 8 independent chains,
/// enough to hide FMA latency while W streams in. A wider row streams W
/// four rows at a time in its stored order, with y in L1: walking W one
/// column block at a time instead would stride a whole row between loads,
/// which defeats the hardware prefetcher once W leaves L2 (measured: a
/// quarter of the plain loop's speed at 1024 → 1024).
fn forward_one_row<T: Element, E: Epilogue<T>, const DIN: usize, const DOUT: usize>(
    x: &[T; DIN],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &mut [T; DOUT],
    epilogue: E,
) {
    let lanes = lanes::<T>();
    if DOUT > GEMV_VECTORS * lanes {
        stream_rows(x, weight, bias, y);
        // y was built in L1 over the whole pass; it is still there.
        for y_j in y.iter_mut() {
            *y_j = epilogue.apply(*y_j);
        }
        return;
    }
    let mut j = 0;
    while j + GEMV_VECTORS * lanes <= DOUT {
        gemv_tile::<T, E, GEMV_VECTORS, DIN, DOUT>(x, weight, bias, y, j, epilogue);
        j += GEMV_VECTORS * lanes;
    }
    while j + lanes <= DOUT {
        gemv_tile::<T, E, 1, DIN, DOUT>(x, weight, bias, y, j, epilogue);
        j += lanes;
    }
    for column in j..DOUT {
        let mut sum = bias.map_or(T::ZERO, |b| b[column]);
        for (&x_k, w_row) in x.iter().zip(weight) {
            sum += x_k * w_row[column];
        }
        y[column] = epilogue.apply(sum);
    }
}

/// `N` vectors of a GEMV output from column `j`, k unrolled by two.
#[inline(always)]
fn gemv_tile<T: Element, E: Epilogue<T>, const N: usize, const DIN: usize, const DOUT: usize>(
    x: &[T; DIN],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &mut [T; DOUT],
    j: usize,
    epilogue: E,
) {
    let lanes = lanes::<T>();
    let mut even: [V<T>; N] = match bias {
        Some(b) => core::array::from_fn(|v| load(b, j + v * lanes)),
        None => [V::<T>::ZERO; N],
    };
    let mut odd = [V::<T>::ZERO; N];
    let (pairs, last) = weight.as_chunks::<2>();
    let (x_pairs, x_last) = x.as_chunks::<2>();
    for ([w_even, w_odd], [x_even, x_odd]) in pairs.iter().zip(x_pairs) {
        let (x_even, x_odd) = (V::<T>::splat(*x_even), V::<T>::splat(*x_odd));
        for (v, (e, o)) in even.iter_mut().zip(odd.iter_mut()).enumerate() {
            *e = x_even.mul_add(load(w_even, j + v * lanes), *e);
            *o = x_odd.mul_add(load(w_odd, j + v * lanes), *o);
        }
    }
    if let ([w_row], [x_k]) = (last, x_last) {
        let x_k = V::<T>::splat(*x_k);
        for (v, e) in even.iter_mut().enumerate() {
            *e = x_k.mul_add(load(w_row, j + v * lanes), *e);
        }
    }
    for (v, (&e, &o)) in even.iter().zip(&odd).enumerate() {
        store_output(y, j + v * lanes, e + o, epilogue);
    }
}

/// `y = b + Σ_k x[k] · W[k][..]`, four rows of W per pass over y.
fn stream_rows<T: Element, const DIN: usize, const DOUT: usize>(
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
    let (quads, last_rows) = weight.as_chunks::<4>();
    let (x_quads, x_last) = x.as_chunks::<4>();
    for (w, x) in quads.iter().zip(x_quads) {
        let xv = x.map(V::<T>::splat);
        let mut j = 0;
        while j + lanes <= DOUT {
            let mut acc = load(y, j);
            for (x_k, w_row) in xv.iter().zip(w) {
                acc = x_k.mul_add(load(w_row, j), acc);
            }
            store(y, j, acc, Update::Overwrite);
            j += lanes;
        }
        for column in j..DOUT {
            for (&x_k, w_row) in x.iter().zip(w) {
                y[column] += x_k * w_row[column];
            }
        }
    }
    for (w_row, &x_k) in last_rows.iter().zip(x_last) {
        let x_v = V::<T>::splat(x_k);
        let mut j = 0;
        while j + lanes <= DOUT {
            let acc = x_v.mul_add(load(w_row, j), load(y, j));
            store(y, j, acc, Update::Overwrite);
            j += lanes;
        }
        for column in j..DOUT {
            y[column] += x_k * w_row[column];
        }
    }
}

// ---------------------------------------------------------- dX = dY·Wᵀ

/// `dX = dY·Wᵀ`: `dx[r][i] = Σ_j dy[r][j] · W[i][j]`, a dot product of two
/// contiguous rows.
pub fn backward_input<T: Element, const DIN: usize, const DOUT: usize>(
    dy: &[[T; DOUT]],
    weight: &[[T; DOUT]; DIN],
    dx: &mut [[T; DIN]],
) {
    let (dy, dx) = backward_input_blocks::<T, DX_ROWS, DIN, DOUT>(dy, weight, dx);
    let (dy, dx) = backward_input_blocks::<T, 2, DIN, DOUT>(dy, weight, dx);
    backward_input_blocks::<T, 1, DIN, DOUT>(dy, weight, dx);
}

/// Runs [`backward_input_rows`] on each whole block of `R` rows; returns the rows left over.
#[inline(always)]
fn backward_input_blocks<'dy, 'dx, T: Element, const R: usize, const DIN: usize, const DOUT: usize>(
    dy: &'dy [[T; DOUT]],
    weight: &[[T; DOUT]; DIN],
    dx: &'dx mut [[T; DIN]],
) -> (&'dy [[T; DOUT]], &'dx mut [[T; DIN]]) {
    let mut dy_blocks = dy.chunks_exact(R);
    let mut dx_blocks = dx.chunks_exact_mut(R);
    for (dy_block, dx_block) in (&mut dy_blocks).zip(&mut dx_blocks) {
        backward_input_rows::<T, R, DIN, DOUT>(dy_block, weight, dx_block);
    }
    (dy_blocks.remainder(), dx_blocks.into_remainder())
}

/// All of dX for `R` batch rows, `DX_COLS` rows of W at a time.
#[inline(always)]
fn backward_input_rows<T: Element, const R: usize, const DIN: usize, const DOUT: usize>(
    dy: &[[T; DOUT]],
    weight: &[[T; DOUT]; DIN],
    dx: &mut [[T; DIN]],
) {
    let (Ok(dy), Ok(dx)) = (<&[[T; DOUT]; R]>::try_from(dy), <&mut [[T; DIN]; R]>::try_from(dx)) else {
        return;
    };
    let (w_blocks, w_tail) = weight.as_chunks::<DX_COLS>();
    for (block, w_rows) in w_blocks.iter().enumerate() {
        dot_tile::<T, R, DX_COLS, DIN, DOUT>(dy, w_rows, dx, block * DX_COLS);
    }
    for (offset, w_row) in w_tail.iter().enumerate() {
        dot_tile::<T, R, 1, DIN, DOUT>(dy, core::array::from_ref(w_row), dx, w_blocks.len() * DX_COLS + offset);
    }
}

/// `R` batch rows × `I` rows of W (inputs `i0 ..`): vector partial sums
/// over the outputs, one horizontal sum per result.
#[inline(always)]
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
    for ((acc_row, dy_row), dx_row) in acc.iter().zip(dy).zip(dx.iter_mut()) {
        for ((acc_v, w_row), dx_i) in acc_row.iter().zip(w_rows).zip(dx_row.iter_mut().skip(i0)) {
            let mut sum = acc_v.sum();
            for column in j..DOUT {
                sum += dy_row[column] * w_row[column];
            }
            *dx_i = sum;
        }
    }
}

// ---------------------------------------------------------- dW = Xᵀ·dY

/// `dW = Xᵀ·dY`, written or added as `update` says: `Σ_r x[r][i] · dy[r][j..]`,
/// each tile of dW held in registers for the whole batch and stored once.
pub fn backward_weight<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    dy: &[[T; DOUT]],
    dw: &mut [[T; DOUT]; DIN],
    update: Update,
) {
    let (dw_rows, i0) = weight_blocks::<T, FORWARD_ROWS, DIN, DOUT>(x, dy, dw, 0, update);
    let (dw_rows, i0) = weight_blocks::<T, 2, DIN, DOUT>(x, dy, dw_rows, i0, update);
    weight_blocks::<T, 1, DIN, DOUT>(x, dy, dw_rows, i0, update);
}

/// Runs [`weight_rows`] on each whole block of `R` rows of dW, the first
/// being row `i0`; returns the rows left over and the index of the first.
#[inline(always)]
fn weight_blocks<'dw, T: Element, const R: usize, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    dy: &[[T; DOUT]],
    dw_rows: &'dw mut [[T; DOUT]],
    i0: usize,
    update: Update,
) -> (&'dw mut [[T; DOUT]], usize) {
    let (blocks, rest) = dw_rows.as_chunks_mut::<R>();
    for (block, dw_block) in blocks.iter_mut().enumerate() {
        weight_rows::<T, R, DIN, DOUT>(x, dy, dw_block, i0 + block * R, update);
    }
    (rest, i0 + blocks.len() * R)
}

/// `R` rows of dW (inputs `i0 ..`): full tiles, one-vector tiles, scalar columns.
#[inline(always)]
fn weight_rows<T: Element, const R: usize, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    dy: &[[T; DOUT]],
    dw_rows: &mut [[T; DOUT]; R],
    i0: usize,
    update: Update,
) {
    let lanes = lanes::<T>();
    let mut j = 0;
    while j + FORWARD_VECTORS * lanes <= DOUT {
        weight_tile::<T, R, FORWARD_VECTORS, DIN, DOUT>(x, dy, dw_rows, i0, j, update);
        j += FORWARD_VECTORS * lanes;
    }
    while j + lanes <= DOUT {
        weight_tile::<T, R, 1, DIN, DOUT>(x, dy, dw_rows, i0, j, update);
        j += lanes;
    }
    for column in j..DOUT {
        for (m, dw_row) in dw_rows.iter_mut().enumerate() {
            let mut sum = T::ZERO;
            for (x_row, dy_row) in x.iter().zip(dy) {
                sum += x_row[i0 + m] * dy_row[column];
            }
            update.apply(&mut dw_row[column], sum);
        }
    }
}

/// `R` rows × `N` vectors of dW from (`i0`, `j`), summed over the whole batch.
#[inline(always)]
fn weight_tile<T: Element, const R: usize, const N: usize, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    dy: &[[T; DOUT]],
    dw_rows: &mut [[T; DOUT]; R],
    i0: usize,
    j: usize,
    update: Update,
) {
    let lanes = lanes::<T>();
    let mut acc = [[V::<T>::ZERO; N]; R];
    for (x_row, dy_row) in x.iter().zip(dy) {
        let dy_v: [V<T>; N] = core::array::from_fn(|v| load(dy_row, j + v * lanes));
        for (acc_row, &x_ri) in acc.iter_mut().zip(x_row.iter().skip(i0)) {
            let x_ri = V::<T>::splat(x_ri);
            for (acc_v, &dy_v) in acc_row.iter_mut().zip(&dy_v) {
                *acc_v = x_ri.mul_add(dy_v, *acc_v);
            }
        }
    }
    for (acc_row, dw_row) in acc.iter().zip(dw_rows.iter_mut()) {
        for (v, &acc_v) in acc_row.iter().enumerate() {
            store(dw_row, j + v * lanes, acc_v, update);
        }
    }
}

// ---------------------------------------------------------- db = Σ dY

/// `db = Σ over the batch of dY`, written or added as `update` says.
pub fn backward_bias<T: Element, const DOUT: usize>(dy: &[[T; DOUT]], db: &mut [T; DOUT], update: Update) {
    let lanes = lanes::<T>();
    let mut j = 0;
    while j + lanes <= DOUT {
        let mut acc = V::<T>::ZERO;
        for dy_row in dy {
            acc = acc + load(dy_row, j);
        }
        store(db, j, acc, update);
        j += lanes;
    }
    for column in j..DOUT {
        let mut sum = T::ZERO;
        for dy_row in dy {
            sum += dy_row[column];
        }
        update.apply(&mut db[column], sum);
    }
}
