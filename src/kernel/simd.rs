//! The bridge from an element type to its `wide` vector: `f32` → `f32x8`,
//! `f64` → `f64x4` (one 256-bit register each under AVX, a pair of
//! 128-bit registers under SSE2 and NEON, plain arrays elsewhere), or
//! `f32x16` and `f64x8` (one 512-bit register each) under AVX-512.
//!
//! `wide` picks the instructions at compile time from the target features
//! the crate is built with; there is no run-time dispatch.

use core::ops::{Add, Mul};
use wide::{f32x8, f32x16, f64x4, f64x8};

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

/// `load_transposed` for one `wide` type: with `wide`'s own transpose, or,
/// for the 512-bit types (whose transpose `wide` does element by element),
/// as four transposes of half-width blocks.
macro_rules! transposed {
    ($vector:ty, $element:ty, $lanes:literal) => {
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
    };
    ($vector:ty, $element:ty, $lanes:literal, $half:ty) => {
        #[cfg(target_feature = "avx")]
        #[inline(always)]
        fn load_transposed<const N: usize>(rows: &[[$element; N]], at: usize, out: &mut [Self]) {
            const HALF: usize = $lanes / 2;
            let quarter = |first_row: usize, first_column: usize| {
                let mut block = [<$half>::ZERO; HALF];
                for (vector, row) in block.iter_mut().zip(rows.iter().skip(first_row)) {
                    *vector = <$half as Vector<$element>>::load(row.get(at + first_column..).unwrap_or(&[]));
                }
                <$half>::transpose(block)
            };
            let (top_left, bottom_left) = (quarter(0, 0), quarter(HALF, 0));
            let (top_right, bottom_right) = (quarter(0, HALF), quarter(HALF, HALF));
            for (t, slot) in out.iter_mut().take($lanes).enumerate() {
                let (top, bottom) = if t < HALF {
                    (top_left[t], bottom_left[t])
                } else {
                    (top_right[t - HALF], bottom_right[t - HALF])
                };
                let mut lanes = [<$element>::default(); $lanes];
                lanes[..HALF].copy_from_slice(&top.to_array());
                lanes[HALF..].copy_from_slice(&bottom.to_array());
                *slot = <$vector>::new(lanes);
            }
        }
    };
}

/// Generates `Vector` for one `wide` type.
macro_rules! impl_vector {
    ($vector:ty, $element:ty, $lanes:literal $(, $half:ty)?) => {
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

            transposed!($vector, $element, $lanes $(, $half)?);

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

// The packed blocks' stack size (`tile::forward_pack_stack_bytes`) counts on
// both element types having vectors of the same size.
const _: () = assert!(size_of::<f32x8>() == size_of::<f64x4>() && size_of::<f32x16>() == size_of::<f64x8>());

impl_vector!(f32x8, f32, 8);
impl_vector!(f64x4, f64, 4);
impl_vector!(f32x16, f32, 16, f32x8);
impl_vector!(f64x8, f64, 8, f64x4);
