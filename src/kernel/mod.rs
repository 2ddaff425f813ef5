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
//! - `tile`: register-tiled micro-kernels over `wide` vectors (`f32x8` and
//!   `f64x4`; `f32x16` and `f64x8` with AVX-512), used wherever the target
//!   has SIMD registers;
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
//! rounding twice. Results therefore differ between backends in the last
//! bits, always within the rounding bound the tests hold them to.

pub mod reference;
pub(crate) mod simd;
mod tile;

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

/// The backend's name, vectors and tile sizes, chosen per target at
/// compile time.
///
/// `F32Vector` and `F64Vector` are the `wide` vectors the kernels run on
/// (`Element`'s sealed `Vector` type is one of them); `wide` picks their
/// instructions from the same target features.
///
/// The forward tile holds `FORWARD_ROWS × FORWARD_VECTORS` accumulator
/// vectors; with one vector register per accumulator it needs that many
/// registers plus `FORWARD_VECTORS` for W and one for the broadcast. The
/// FMA chains must also be independent enough to cover latency ×
/// throughput (4 × 2 = 8 on current x86 and Apple/Neoverse cores).
#[allow(dead_code)] // each target uses one arm
mod backend {
    #[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "avx512f"))]
    mod chosen {
        // 32 zmm registers; f32x16/f64x8 are one register each.
        // Forward (and dW from packed panels of dY): 8 × 2 = 16
        // accumulators + 2 W + 1 broadcast = 19;
        // 16 chains cover FMA latency × throughput with room to spare.
        // dW read in place: 8 × 3 = 24 accumulators + 3 dY + 1 broadcast
        // = 28. Its k-loop is the batch, often only 32 to 64 rows long,
        // and each column tile reads its slice of X again: against 8 × 2,
        // a third fewer tiles and loads per FMA (see `WEIGHT_VECTORS` in
        // `tile`).
        // dX: 8 × 2 = 16 accumulators + 8 dY + 2 W = 26. Against 4 × 2,
        // eight rows of dY share each load of W, which halves the reads
        // of W from L2 (measured at batch 8, 512 → 512: dX +20 % in f32,
        // +26 % in f64).
        // (`wide` needs AVX-512 BW beside F; `-C target-cpu=native`
        // turns on both wherever there is AVX-512.)
        pub const NAME: &str = "avx512";
        pub type F32Vector = wide::f32x16;
        pub type F64Vector = wide::f64x8;
        pub const FORWARD_ROWS: usize = 8;
        pub const FORWARD_VECTORS: usize = 2;
        pub const WEIGHT_VECTORS: usize = 3;
        pub const DX_ROWS: usize = 8;
        pub const DX_COLS: usize = 2;
    }

    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "avx",
        not(target_feature = "avx512f")
    ))]
    mod chosen {
        // 16 ymm registers; f32x8/f64x4 are one register each.
        // Forward/dW: 6 × 2 = 12 accumulators + 2 W + 1 broadcast = 15.
        // dX: 4 rows × 2 W rows = 8 accumulators + 4 dY + 2 W = 14.
        #[cfg(target_feature = "fma")]
        pub const NAME: &str = "avx2+fma";
        #[cfg(not(target_feature = "fma"))]
        pub const NAME: &str = "avx";
        pub type F32Vector = wide::f32x8;
        pub type F64Vector = wide::f64x4;
        pub const FORWARD_ROWS: usize = 6;
        pub const FORWARD_VECTORS: usize = 2;
        pub const WEIGHT_VECTORS: usize = FORWARD_VECTORS;
        pub const DX_ROWS: usize = 4;
        pub const DX_COLS: usize = 2;
    }

    #[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2", not(target_feature = "avx")))]
    mod chosen {
        // 16 xmm registers; f32x8 is a pair. Forward/dW: 4 × 1 vector =
        // 8 xmm accumulators + 2 for W + 1 broadcast = 11 (6 × 1 would
        // be 15 and spill around the broadcast shuffles).
        // dX: 2 × 2 = 8 xmm accumulators + 4 dY + 4 W = 16.
        pub const NAME: &str = "sse2";
        pub type F32Vector = wide::f32x8;
        pub type F64Vector = wide::f64x4;
        pub const FORWARD_ROWS: usize = 4;
        pub const FORWARD_VECTORS: usize = 1;
        pub const WEIGHT_VECTORS: usize = FORWARD_VECTORS;
        pub const DX_ROWS: usize = 2;
        pub const DX_COLS: usize = 2;
    }

    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    mod chosen {
        // 32 q registers; f32x8 is a pair. Forward/dW: 6 × 2 vectors =
        // 24 q accumulators + 4 for W + 1 broadcast = 29.
        // dX: 4 × 2 = 16 q accumulators + 8 dY + 4 W = 28.
        pub const NAME: &str = "neon";
        pub type F32Vector = wide::f32x8;
        pub type F64Vector = wide::f64x4;
        pub const FORWARD_ROWS: usize = 6;
        pub const FORWARD_VECTORS: usize = 2;
        pub const WEIGHT_VECTORS: usize = FORWARD_VECTORS;
        pub const DX_ROWS: usize = 4;
        pub const DX_COLS: usize = 2;
    }

    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    mod chosen {
        pub const NAME: &str = "simd128";
        pub type F32Vector = wide::f32x8;
        pub type F64Vector = wide::f64x4;
        pub const FORWARD_ROWS: usize = 4;
        pub const FORWARD_VECTORS: usize = 1;
        pub const WEIGHT_VECTORS: usize = FORWARD_VECTORS;
        pub const DX_ROWS: usize = 2;
        pub const DX_COLS: usize = 2;
    }

    #[cfg(not(any(
        all(any(target_arch = "x86", target_arch = "x86_64"), any(target_feature = "sse2", target_feature = "avx")),
        all(target_arch = "aarch64", target_feature = "neon"),
        all(target_arch = "wasm32", target_feature = "simd128"),
    )))]
    mod chosen {
        // No SIMD registers: the tiles are unused; the reference loops run.
        pub const NAME: &str = "scalar";
        pub type F32Vector = wide::f32x8;
        pub type F64Vector = wide::f64x4;
        pub const FORWARD_ROWS: usize = 1;
        pub const FORWARD_VECTORS: usize = 1;
        pub const WEIGHT_VECTORS: usize = FORWARD_VECTORS;
        pub const DX_ROWS: usize = 1;
        pub const DX_COLS: usize = 1;
    }

    pub use chosen::*;
    /// GEMV (batch 1): the widest register tile, in vectors; a row of y
    /// wider than this streams through L1 instead.
    pub const GEMV_VECTORS: usize = 4;
    /// Whether the tiled kernels run (every backend but "scalar").
    pub const SIMD: bool = !matches!(NAME.as_bytes(), b"scalar");
}

use backend::{DX_COLS, DX_ROWS, FORWARD_ROWS, FORWARD_VECTORS, GEMV_VECTORS, WEIGHT_VECTORS};
pub(crate) use backend::{F32Vector, F64Vector, SIMD};

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

/// Whether a backward kernel writes its gradient or adds into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// `grad = new`: the old value is neither read nor needed (GEMM's beta = 0).
    Overwrite,
    /// `grad += new`: gradients accumulate across calls, as PyTorch's `.grad` does.
    Accumulate,
}

impl Update {
    /// Stores `new` into `slot` according to the mode.
    #[inline(always)]
    pub fn apply<T: crate::Element>(self, slot: &mut T, new: T) {
        match self {
            Update::Overwrite => *slot = new,
            Update::Accumulate => *slot += new,
        }
    }
}

use crate::Element;

/// A function the forward kernel applies to every output just before it
/// stores it: the hook that fuses an activation into `Y = X·W + b`, so that
/// `f(X·W + b)` costs no second pass over Y.
///
/// The kernels call [`Epilogue::apply`] on values they have just computed,
/// while they are still in registers or L1, once per output.
///
/// # Examples
///
/// ```
/// use tinylinear::Linear;
/// use tinylinear::kernel::Epilogue;
///
/// #[derive(Clone, Copy)]
/// struct Halve;
/// impl Epilogue<f32> for Halve {
///     fn apply(self, value: f32) -> f32 {
///         value * 0.5
///     }
/// }
///
/// let layer = Linear::<2, 1>::new([[1.0], [1.0]], [0.0]);
/// let mut y = [[0.0; 1]; 1];
/// layer.forward_with(&[[1.0, 3.0]], &mut y, Halve);
/// assert_eq!(y, [[2.0]]);
/// ```
pub trait Epilogue<T>: Copy {
    /// The stored output for the freshly computed `value`.
    fn apply(self, value: T) -> T;
}

/// The epilogue that leaves outputs as they are: plain `Y = X·W + b`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Identity;

impl<T> Epilogue<T> for Identity {
    #[inline(always)]
    fn apply(self, value: T) -> T {
        value
    }
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
        tile::forward(x, weight, bias, y, epilogue);
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
    if backend::SIMD { tile::forward_pack_stack_bytes(din, dout, elem_bytes) } else { 0 }
}

/// Stack bytes the backward of a `din → dout` layer (`elem_bytes` per
/// element) uses for its largest packed block at `rows` batch rows: 0 on
/// the scalar path and where neither dX nor dW packs; on SIMD hosts up to
/// 64 KiB for dX's block of Wᵀ (AVX) and up to 288 KiB for dW's panels
/// of dY and slices of X (AVX-512, f64).
pub(crate) const fn backward_pack_stack_bytes(rows: usize, din: usize, dout: usize, elem_bytes: usize) -> u64 {
    if backend::SIMD { tile::backward_pack_stack_bytes(rows, din, dout, elem_bytes) } else { 0 }
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
    if backend::SIMD { tile::backward_input(dy, weight, dx) } else { reference::backward_input(dy, weight, dx) }
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
    if backend::SIMD { tile::backward_weight(x, dy, dw, update) } else { reference::backward_weight(x, dy, dw, update) }
}

/// `dX = dY·Wᵀ` and `dW = Xᵀ·dY` (written or added as `update` says) on
/// the compiled-in path: what [`backward_input`] and [`backward_weight`]
/// compute, each over the rows its own arguments both have. Where one pass
/// over W and dW measured faster than two, it runs as one: at batch 1 where
/// W fits L1, or (AVX builds) where its rows are longer than 8 vectors,
/// and at batches too small to pack.
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
            return tile::backward_row_input_and_weight(x_row, dy_row, weight, dx_row, dw, update);
        }
        // Batches too small to pack: one pass too (the two passes' own
        // tiles). A single row is left to the two passes' batch-1 kernels.
        if dy.len() < 2 * FORWARD_ROWS && x.len().min(dy.len()).min(dx.len()) >= 2 {
            return tile::backward_few_rows_input_and_weight(x, dy, weight, dx, dw, update);
        }
    }
    backward_input(dy, weight, dx);
    backward_weight(x, dy, dw, update);
}

/// `db = Σ over the batch of dY`, written or added as `update` says, on the compiled-in path.
#[inline]
pub fn backward_bias<T: Element, const DOUT: usize>(dy: &[[T; DOUT]], db: &mut [T; DOUT], update: Update) {
    if backend::SIMD { tile::backward_bias(dy, db, update) } else { reference::backward_bias(dy, db, update) }
}
