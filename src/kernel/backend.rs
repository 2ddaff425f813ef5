//! The backend's name, vectors and tile sizes, chosen per target at
//! compile time. A leaf: the kernels read it, it reads none of them.
//!
//! `F32Vector` and `F64Vector` are the `wide` vectors the kernels run on
//! (`Element`'s sealed `Vector` type is one of them); `wide` picks their
//! instructions from the same target features.
//!
//! The forward tile holds `FORWARD_ROWS × FORWARD_VECTORS` accumulator
//! vectors; with one vector register per accumulator it needs that many
//! registers plus `FORWARD_VECTORS` for W and one for the broadcast. The
//! FMA chains must also be independent enough to cover latency ×
//! throughput (4 × 2 = 8 on current x86 and Apple/Neoverse cores).
//!
//! - `FORWARD_ROWS × FORWARD_VECTORS`: the forward's tile, dW's tile from
//!   packed panels of dY, and dX's packed tile; `FORWARD_ROWS` is also the
//!   row tile every row walk starts with (`drive::for_each_row_block`).
//! - `DW_VECTORS`: the width of dW's tile read in place.
//! - `DX_ROWS × DX_COLS`: dX's dot tile, batch rows × rows of W.
//! - `GEMV_VECTORS`: the widest batch-1 register tile.
//!
//! Measurements: BENCHMARKS.md.

#[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "avx512f"))]
mod chosen {
    // 32 zmm registers; f32x16/f64x8 are one register each.
    // Forward (and dW from packed panels of dY): 8 × 2 = 16
    // accumulators + 2 W + 1 broadcast = 19;
    // 16 chains cover FMA latency × throughput with room to spare.
    // dW read in place: 8 × 3 = 24 accumulators + 3 dY + 1 broadcast
    // = 28. Its k-loop is the batch, often only 32 to 64 rows long,
    // and each column tile reads its slice of X again: against 8 × 2,
    // a third fewer tiles and loads per FMA (see `dw::DwRows`).
    // dX: 8 × 2 = 16 accumulators + 8 dY + 2 W = 26. Against 4 × 2,
    // eight rows of dY share each load of W, which halves the reads
    // of W from L2.
    // (`wide` needs AVX-512 BW beside F; `-C target-cpu=native`
    // turns on both wherever there is AVX-512.)
    pub const NAME: &str = "avx512";
    pub type F32Vector = wide::f32x16;
    pub type F64Vector = wide::f64x8;
    pub const FORWARD_ROWS: usize = 8;
    pub const FORWARD_VECTORS: usize = 2;
    pub const DW_VECTORS: usize = 3;
    pub const DX_ROWS: usize = 8;
    pub const DX_COLS: usize = 2;
}

#[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "avx", not(target_feature = "avx512f")))]
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
    pub const DW_VECTORS: usize = FORWARD_VECTORS;
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
    pub const DW_VECTORS: usize = FORWARD_VECTORS;
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
    pub const DW_VECTORS: usize = FORWARD_VECTORS;
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
    pub const DW_VECTORS: usize = FORWARD_VECTORS;
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
    pub const DW_VECTORS: usize = FORWARD_VECTORS;
    pub const DX_ROWS: usize = 1;
    pub const DX_COLS: usize = 1;
}

pub use chosen::*;
/// GEMV (batch 1): the widest register tile, in vectors; a row of y
/// wider than this streams through L1 instead. Four vectors in two
/// accumulator sets make 8 FMA chains and fit every backend's registers.
/// Measurements: BENCHMARKS.md.
pub const GEMV_VECTORS: usize = 4;
/// Whether the tiled kernels run (every backend but "scalar").
pub const SIMD: bool = !matches!(NAME.as_bytes(), b"scalar");
