//! The compute kernels behind every layer: the four equations of the
//! forward and backward passes over a batch of rows.
//!
//! | equation | function | reads W as |
//! |---|---|---|
//! | `Y = X·W + b` | [`forward`] | rows `W[k][..]`, one per input |
//! | `dX = dY·Wᵀ` | [`backward_input`] | rows `W[i][..]`, dotted with `dY[r][..]` |
//! | `dW = Xᵀ·dY` | [`backward_weight`] | (writes it) |
//! | `db = Σ_batch dY` | [`backward_bias`] | — |
//!
//! Two implementations stand behind these entry points:
//!
//! - the tiled kernels: register-tiled micro-kernels over `wide` vectors
//!   (`f32x8` and `f64x4`; `f32x16` and `f64x8` with AVX-512), used
//!   wherever the target has SIMD registers, one file per equation:
//!   `forward` (and `gemv` for batch 1), `dx`, `dw`, `db`, and `fused` for
//!   the backward that computes dX and dW in one pass; built from `micro`
//!   (loads, stores, rank-one updates), walked by `drive`, sized by
//!   `backend` and switched by `tuning`;
//! - [`reference`](mod@reference): the plain scalar loops, always compiled,
//!   the oracle every tiled kernel is tested against, and the path on
//!   targets without SIMD (Cortex-M, RISC-V without V), where `wide` would
//!   only emulate vectors with arrays.
//!
//! [`BACKEND`] names the path compiled in. The choice is made at compile
//! time from the target features, as `wide` makes its own: build with
//! `-C target-cpu=native` (or `-C target-feature=+avx2,+fma`) to get the
//! AVX2+FMA kernels on x86-64; the default x86-64 target has only SSE2.
//! `wide` fuses `mul_add` into one FMA instruction only where the target
//! has FMA (AVX2+FMA builds, NEON); elsewhere it multiplies, then adds,
//! rounding twice. The tiles also sum in another order than the reference
//! loops. Results therefore differ between backends in the last bits,
//! always within the `n·ε·Σ|terms|` bound the tests hold them to.

#[allow(dead_code)] // each target uses one arm
pub(crate) mod backend;
#[cfg(test)]
mod coverage;
mod db;
mod drive;
mod dw;
mod dx;
mod epilogue;
mod forward;
mod fused;
mod gemv;
mod micro;
pub mod reference;
pub(crate) mod simd;
mod tuning;

pub use epilogue::{Epilogue, Identity, Update};

/// The kernel path compiled into this build.
///
/// | value | target | vectors |
/// |---|---|---|
/// | `"avx512"` | x86/x86-64 with AVX-512 (F and BW) | 512-bit, fused multiply-add |
/// | `"avx2+fma"` | x86/x86-64 with AVX2 and FMA | 256-bit, fused multiply-add |
/// | `"avx"` | x86/x86-64 with AVX, without FMA | 256-bit |
/// | `"sse2"` | x86-64 baseline | pairs of 128-bit registers |
/// | `"neon"` | aarch64 | pairs of 128-bit registers, fused multiply-add |
/// | `"simd128"` | wasm32 with `+simd128` | pairs of 128-bit registers |
/// | `"scalar"` | everything else | none: the [`reference`](mod@reference) loops |
///
/// # Examples
///
/// ```
/// println!("tinylinear kernels: {}", tinylinear::BACKEND);
/// assert!(!tinylinear::BACKEND.is_empty());
/// ```
pub const BACKEND: &str = backend::NAME;

use crate::Element;
pub(crate) use backend::SIMD;

/// Refuses a layer with no inputs or no outputs, at compile time.
struct NonEmpty<const DIN: usize, const DOUT: usize>;

impl<const DIN: usize, const DOUT: usize> NonEmpty<DIN, DOUT> {
    const OK: () = {
        assert!(DIN > 0, "a tinylinear layer needs at least one input, but DIN is 0");
        assert!(DOUT > 0, "a tinylinear layer needs at least one output, but DOUT is 0");
    };
}

/// Evaluates the [`NonEmpty`] check for this shape; a zero width fails to compile.
pub(crate) const fn non_empty<const DIN: usize, const DOUT: usize>() {
    NonEmpty::<DIN, DOUT>::OK
}

/// `Y = X·W + b` (or `Y = X·W` when `bias` is `None`) on the compiled-in path.
/// Rows beyond the shorter of `x` and `y` are left alone.
///
/// Every kernel here refuses a zero width at compile time, as the layer
/// types do:
///
/// ```compile_fail,E0080
/// let x = [[0.0f32; 0]; 2];
/// let weight: [[f32; 3]; 0] = [];
/// let mut y = [[0.0f32; 3]; 2];
/// tinylinear::kernel::forward(&x, &weight, None, &mut y);
/// ```
#[inline]
pub fn forward<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &mut [[T; DOUT]],
) {
    forward_with(x, weight, bias, y, Identity);
}

/// `Y = f(X·W + b)`: [`forward`] with `epilogue` applied to each output
/// as it is stored.
#[inline]
pub fn forward_with<T: Element, E: Epilogue<T>, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &mut [[T; DOUT]],
    epilogue: E,
) {
    let () = non_empty::<DIN, DOUT>();
    let rows = x.len().min(y.len());
    let (x, y) = (&x[..rows], &mut y[..rows]);
    if backend::SIMD {
        forward::forward(x, weight, bias, y, epilogue);
    } else {
        // Row by row, so that each row meets its epilogue while still in L1.
        for (x_row, y_row) in x.iter().zip(y.iter_mut()) {
            reference::forward(core::slice::from_ref(x_row), weight, bias, core::slice::from_mut(y_row));
            for y_j in y_row.iter_mut() {
                *y_j = epilogue.apply(*y_j);
            }
        }
    }
}

/// Stack bytes the forward of a `din → dout` layer (`elem_bytes` per
/// element) uses for its packed block of W, at any batch: 0 on the scalar
/// path and for layers that never pack, 16 or 32 KiB otherwise.
pub(crate) const fn forward_pack_stack_bytes(din: usize, dout: usize, elem_bytes: usize) -> u64 {
    if backend::SIMD { tuning::forward_pack_stack_bytes(din, dout, elem_bytes) } else { 0 }
}

/// Stack bytes the backward of a `din → dout` layer (`elem_bytes` per
/// element) uses for its largest packed block at `rows` batch rows: 0 on
/// the scalar path and where neither dX nor dW packs; on SIMD hosts up to
/// 64 KiB for dX's block of Wᵀ (AVX) and up to 288 KiB for dW's panels
/// of dY and slices of X (AVX-512, f64).
pub(crate) const fn backward_pack_stack_bytes(rows: usize, din: usize, dout: usize, elem_bytes: usize) -> u64 {
    if backend::SIMD { tuning::backward_pack_stack_bytes(rows, din, dout, elem_bytes) } else { 0 }
}

/// `dX = dY·Wᵀ` on the compiled-in path, over the rows `dy` and `dx` both
/// have.
#[inline]
pub fn backward_input<T: Element, const DIN: usize, const DOUT: usize>(
    dy: &[[T; DOUT]],
    weight: &[[T; DOUT]; DIN],
    dx: &mut [[T; DIN]],
) {
    let () = non_empty::<DIN, DOUT>();
    let rows = dy.len().min(dx.len());
    let (dy, dx) = (&dy[..rows], &mut dx[..rows]);
    if backend::SIMD { dx::backward_input(dy, weight, dx) } else { reference::backward_input(dy, weight, dx) }
}

/// `dW = Xᵀ·dY`, written or added as `update` says, on the compiled-in path,
/// over the rows `x` and `dy` both have.
#[inline]
pub fn backward_weight<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    dy: &[[T; DOUT]],
    dw: &mut [[T; DOUT]; DIN],
    update: Update,
) {
    let () = non_empty::<DIN, DOUT>();
    let rows = x.len().min(dy.len());
    let (x, dy) = (&x[..rows], &dy[..rows]);
    if backend::SIMD { dw::backward_weight(x, dy, dw, update) } else { reference::backward_weight(x, dy, dw, update) }
}

/// `dX = dY·Wᵀ` and `dW = Xᵀ·dY` (written or added as `update` says) on
/// the compiled-in path: what [`backward_input`] and [`backward_weight`]
/// compute, each over the rows its own arguments both have. Where one pass
/// over W and dW beats two, it runs as one: at batch 1 where W fits L1, or
/// (AVX builds) where its rows are longer than 8 vectors, and at batches
/// too small to pack.
#[inline]
pub fn backward_input_and_weight<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    dy: &[[T; DOUT]],
    weight: &[[T; DOUT]; DIN],
    dx: &mut [[T; DIN]],
    dw: &mut [[T; DOUT]; DIN],
    update: Update,
) {
    let () = non_empty::<DIN, DOUT>();
    if backend::SIMD {
        // Batch 1 (dX past its first row is left alone, as `backward_input` does).
        if let ([x_row], [dy_row], [dx_row, ..]) = (x, dy, &mut *dx) {
            return fused::dx_dw_one_row(x_row, dy_row, weight, dx_row, dw, update);
        }
        // Batches too small to pack: one pass too (the two passes' own
        // tiles). A single row is left to the two passes' batch-1 kernels.
        if tuning::few_rows_one_pass(x.len(), dy.len(), dx.len()) {
            return fused::dx_dw_few_rows(x, dy, weight, dx, dw, update);
        }
    }
    backward_input(dy, weight, dx);
    backward_weight(x, dy, dw, update);
}

/// `db = Σ over the batch of dY`, written or added as `update` says, on the compiled-in path.
#[inline]
pub fn backward_bias<T: Element, const DOUT: usize>(dy: &[[T; DOUT]], db: &mut [T; DOUT], update: Update) {
    if backend::SIMD { db::backward_bias(dy, db, update) } else { reference::backward_bias(dy, db, update) }
}
