//! The scalar reference kernels: the path on targets without SIMD, and the
//! plain loops the benchmarks time beside the tiles. (The tests hold every
//! path, these loops too, to an f64 oracle of their own in `tests/it/common.rs`.)
//!
//! Each function is the textbook loop nest of one equation of
//! `docs/linear-layer.md`, nothing more: no tiling, no unrolling, no reordering tricks. Sums
//! run in the element type `T`, in the order the loops state, with a
//! separate multiply and add (the compiler may not fuse them). Keep it that
//! way: its value is that it is obviously right.
//!
//! The batch is a slice of rows whose length is known at run time; the
//! widths are const generics, so a row can never have the wrong width.
//! Arguments whose batches differ are a caller bug: the layer types check
//! them; here a debug build asserts that they agree, and a release build
//! stops at the shorter one.

use super::epilogue::Update;
use crate::Element;

/// `Y = X·W + b` (or `Y = X·W` when `bias` is `None`).
///
/// For each output `y[r][j] = b[j] + Σ_k x[r][k]·w[k][j]`, summed in order of `k`.
pub fn forward<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &mut [[T; DOUT]],
) {
    debug_assert_eq!(x.len(), y.len());
    for (x_row, y_row) in x.iter().zip(y.iter_mut()) {
        for (j, y_j) in y_row.iter_mut().enumerate() {
            // One dot product per output, its sum in a register: on targets
            // without SIMD (a Cortex-M4F) this is one load of x, one of W
            // and one multiply-add per term, with no load or store of y.
            let mut sum = match bias {
                Some(b) => b[j],
                None => T::ZERO,
            };
            for (&x_k, w_row) in x_row.iter().zip(weight.iter()) {
                sum += x_k * w_row[j];
            }
            *y_j = sum;
        }
    }
}

/// `dX = dY·Wᵀ`: `dx[r][i] = Σ_j dy[r][j]·w[i][j]`, summed in order of `j`.
pub fn backward_input<T: Element, const DIN: usize, const DOUT: usize>(
    dy: &[[T; DOUT]],
    weight: &[[T; DOUT]; DIN],
    dx: &mut [[T; DIN]],
) {
    debug_assert_eq!(dy.len(), dx.len());
    for (dy_row, dx_row) in dy.iter().zip(dx.iter_mut()) {
        for (dx_i, w_row) in dx_row.iter_mut().zip(weight.iter()) {
            let mut sum = T::ZERO;
            for (&dy_j, &w_ij) in dy_row.iter().zip(w_row.iter()) {
                sum += dy_j * w_ij;
            }
            *dx_i = sum;
        }
    }
}

/// `dW = Xᵀ·dY`: `Σ_r x[r][i]·dy[r][j]`, summed in order of `r`, then
/// written or added into `dw[i][j]` as `update` says.
pub fn backward_weight<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    dy: &[[T; DOUT]],
    dw: &mut [[T; DOUT]; DIN],
    update: Update,
) {
    debug_assert_eq!(x.len(), dy.len());
    for (i, dw_row) in dw.iter_mut().enumerate() {
        for (j, dw_ij) in dw_row.iter_mut().enumerate() {
            let mut sum = T::ZERO;
            for (x_row, dy_row) in x.iter().zip(dy.iter()) {
                sum += x_row[i] * dy_row[j];
            }
            update.apply(dw_ij, sum);
        }
    }
}

/// `db = Σ over the batch of dY` (axis 0, never axis 1): summed in order of
/// `r`, then written or added into `db[j]` as `update` says.
pub fn backward_bias<T: Element, const DOUT: usize>(dy: &[[T; DOUT]], db: &mut [T; DOUT], update: Update) {
    for (j, db_j) in db.iter_mut().enumerate() {
        let mut sum = T::ZERO;
        for dy_row in dy {
            sum += dy_row[j];
        }
        update.apply(db_j, sum);
    }
}
