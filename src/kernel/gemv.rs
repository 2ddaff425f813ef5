//! `Y = f(X·W + b)` at batch 1 (GEMV): memory-bound, so an axpy over the
//! rows of W in their stored order, `y += x[k] · W[k][..]`; y in registers
//! where a row fits one register tile, built in L1 where it does not.

use super::backend::GEMV_VECTORS;
use super::drive::{ColumnTile, for_each_column_block};
use super::epilogue::{Epilogue, Update};
use super::micro::{Columns, V, lanes, load, scalar_output, store, store_output};
use super::simd::Vector;
use super::tuning::keep_loop_rolled;
use crate::Element;

/// Batch 1 (GEMV): memory-bound, so the aim is to stream W at full
/// bandwidth, as an axpy over rows of W, `y += x[k] · W[k][..]`.
///
/// A row that fits one register tile (`GEMV_VECTORS` vectors) keeps y in
/// registers, in as many accumulator sets as make 8 independent FMA chains
/// (see [`OneRow`]'s `tile`). A wider row streams W a few rows at a time in its
/// stored order, with y in L1 (see [`stream_rows`]): walking W one column
/// block at a time instead would stride a whole row between loads, which
/// defeats the hardware prefetcher once W leaves L2.
///
/// Where the compiler would unroll either loop into iterations that read
/// more than 1 KiB of W, it is kept rolled (see [`keep_loop_rolled`]).
#[inline]
pub(crate) fn forward_one_row<T: Element, E: Epilogue<T>, const DIN: usize, const DOUT: usize>(
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
    /// throughput on current x86 and Arm cores. Measurements: BENCHMARKS.md.
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
