//! The bridge from an element type to its `wide` vector: `f32` → `f32x8`,
//! `f64` → `f64x4` (one 256-bit register each under AVX, a pair of
//! 128-bit registers under SSE2 and NEON, plain arrays elsewhere).
//!
//! `wide` picks the instructions at compile time from the target features
//! the crate is built with; there is no run-time dispatch.

use core::ops::{Add, Mul};
use wide::{f32x8, f64x4};

/// A `wide` vector of `LANES` elements of `T`, with the few operations the
/// micro-kernels use.
pub trait Vector<T: Copy>: Copy + Add<Output = Self> + Mul<Output = Self> {
    /// Elements per vector.
    const LANES: usize;
    /// All lanes zero.
    const ZERO: Self;

    /// Every lane `value`.
    fn splat(value: T) -> Self;
    /// The first `LANES` elements of `src` (all zero if `src` is shorter,
    /// which no kernel asks for: the check folds away and cannot panic).
    fn load(src: &[T]) -> Self;
    /// Writes the lanes to the first `LANES` elements of `dst` (nothing if
    /// `dst` is shorter, which no kernel asks for).
    fn store(self, dst: &mut [T]);
    /// Writes lanes `first ..` to the same places in `dst`, leaving the
    /// elements before `first` alone (nothing if `dst` is shorter than `LANES`).
    fn store_from(self, dst: &mut [T], first: usize);
    /// The `LANES × LANES` block `rows[l][at + t]`, transposed: `out[t]`
    /// holds element `at + t` of every row, row `l` in lane `l`. Rows and
    /// outputs past the block (or past `rows` and `out`) are left out.
    /// Only for AVX, the one backend where `wide` transposes in registers.
    #[cfg(target_feature = "avx")]
    fn load_transposed<const N: usize>(rows: &[[T; N]], at: usize, out: &mut [Self]);
    /// `self · a + b`: fused (one rounding) where the target has FMA.
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// The sum of the lanes.
    fn sum(self) -> T;
}

/// Generates `Vector` for one `wide` type.
macro_rules! impl_vector {
    ($vector:ty, $element:ty, $lanes:literal) => {
        impl Vector<$element> for $vector {
            const LANES: usize = $lanes;
            const ZERO: Self = <$vector>::ZERO;

            #[inline(always)]
            fn splat(value: $element) -> Self {
                <$vector>::splat(value)
            }

            #[inline(always)]
            fn load(src: &[$element]) -> Self {
                match src.first_chunk::<$lanes>() {
                    Some(lanes) => <$vector>::new(*lanes),
                    None => Self::ZERO,
                }
            }

            #[inline(always)]
            fn store(self, dst: &mut [$element]) {
                if let Some(lanes) = dst.first_chunk_mut::<$lanes>() {
                    *lanes = self.to_array();
                }
            }

            #[inline(always)]
            fn store_from(self, dst: &mut [$element], first: usize) {
                if let Some(lanes) = dst.first_chunk_mut::<$lanes>() {
                    for (slot, value) in lanes.iter_mut().zip(self.to_array()).skip(first) {
                        *slot = value;
                    }
                }
            }

            #[cfg(target_feature = "avx")]
            #[inline(always)]
            fn load_transposed<const N: usize>(rows: &[[$element; N]], at: usize, out: &mut [Self]) {
                let mut block = [Self::ZERO; $lanes];
                for (vector, row) in block.iter_mut().zip(rows) {
                    *vector = Self::load(row.get(at..).unwrap_or(&[]));
                }
                for (slot, column) in out.iter_mut().zip(<$vector>::transpose(block)) {
                    *slot = column;
                }
            }

            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                <$vector>::mul_add(self, a, b)
            }

            #[inline(always)]
            fn sum(self) -> $element {
                self.reduce_add()
            }
        }
    };
}

// The packed blocks' stack size (`tile::forward_pack_stack_bytes`) counts on this.
const _: () = assert!(size_of::<f32x8>() == 32 && size_of::<f64x4>() == 32);

impl_vector!(f32x8, f32, 8);
impl_vector!(f64x4, f64, 4);
