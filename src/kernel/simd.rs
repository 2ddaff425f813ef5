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

/// `load_transposed` for one `wide` type, through the transpose `$transpose`
/// (a function from `[vector; lanes]` to `[vector; lanes]`).
macro_rules! transposed {
    ($vector:ty, $element:ty, $lanes:literal, $transpose:path) => {
        #[cfg(target_feature = "avx")]
        #[inline(always)]
        fn load_transposed<const N: usize>(rows: &[[$element; N]], at: usize, out: &mut [Self]) {
            let block: [Self; $lanes] = core::array::from_fn(|l| match rows.get(l) {
                Some(row) => Self::load(row.get(at..).unwrap_or(&[])),
                None => Self::ZERO,
            });
            for (slot, column) in out.iter_mut().zip($transpose(block)) {
                *slot = column;
            }
        }
    };
}

/// Generates `Vector` for one `wide` type.
macro_rules! impl_vector {
    ($vector:ty, $element:ty, $lanes:literal, $transpose:path) => {
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

            transposed!($vector, $element, $lanes, $transpose);

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

impl_vector!(f32x8, f32, 8, f32x8::transpose);
impl_vector!(f64x4, f64, 4, f64x4::transpose);
impl_vector!(f32x16, f32, 16, transpose_512::f32x16);
impl_vector!(f64x8, f64, 8, transpose_512::f64x8);

/// Transposes of the 512-bit vectors. `wide`'s own go element by element,
/// so AVX-512 builds run them on 512-bit interleaves and two-source
/// permutes, through `safe_arch` (the safe wrappers of the intrinsics that
/// `wide` is built on): 64 shuffles for 16 × 16 `f32` and 24 for 8 × 8
/// `f64`, where four transposes of 256-bit halves took 96 and 32, and 16
/// and 8 more to join the halves. Timed in turns against the halves, dX
/// ran 12–23 % faster in `f32` (32 × 128 → 64 to 128 × 512 → 512) and
/// level in `f64`. AVX2 builds never call these and keep `wide`'s.
#[cfg(target_feature = "avx")]
mod transpose_512 {
    #[cfg(target_feature = "avx512f")]
    pub use permutes::{f32x16, f64x8};

    #[cfg(not(target_feature = "avx512f"))]
    pub fn f32x16(rows: [wide::f32x16; 16]) -> [wide::f32x16; 16] {
        wide::f32x16::transpose(rows)
    }

    #[cfg(not(target_feature = "avx512f"))]
    pub fn f64x8(rows: [wide::f64x8; 8]) -> [wide::f64x8; 8] {
        wide::f64x8::transpose(rows)
    }

    #[cfg(target_feature = "avx512f")]
    mod permutes {
        #[cfg(target_arch = "x86")]
        use core::arch::x86::{__m512, __m512d};
        #[cfg(target_arch = "x86_64")]
        use core::arch::x86_64::{__m512, __m512d};
        use safe_arch::{
            cast_to_m512_from_m512i, cast_to_m512d_from_m512i, cast_to_m512i_from_m512, cast_to_m512i_from_m512d, m512,
            m512d, m512i, shuffle_abv_i64_all_m512i as pick_i64, unpack_high_i32_m512i, unpack_high_i64_m512i,
            unpack_low_i32_m512i, unpack_low_i64_m512i,
        };

        /// The 4 × 4 transpose of 128-bit blocks: output `q` holds block
        /// `q` of `x[0]`, `x[1]`, `x[2]`, `x[3]`, in that order. Eight
        /// two-source permutes (of 64-bit lanes, two per block).
        #[inline(always)]
        fn blocks(x: [m512i; 4]) -> [m512i; 4] {
            let index = |lanes: [i64; 8]| m512i::from(lanes);
            // Blocks 0, 1 (or 2, 3) of the first source, then of the second.
            let (low_halves, high_halves) = (index([0, 1, 2, 3, 8, 9, 10, 11]), index([4, 5, 6, 7, 12, 13, 14, 15]));
            // Blocks 0 and 2 (or 1 and 3) of each source.
            let (evens, odds) = (index([0, 1, 4, 5, 8, 9, 12, 13]), index([2, 3, 6, 7, 10, 11, 14, 15]));
            let (top_low, top_high) = (pick_i64(x[0], low_halves, x[1]), pick_i64(x[0], high_halves, x[1]));
            let (bottom_low, bottom_high) = (pick_i64(x[2], low_halves, x[3]), pick_i64(x[2], high_halves, x[3]));
            [
                pick_i64(top_low, evens, bottom_low),
                pick_i64(top_low, odds, bottom_low),
                pick_i64(top_high, evens, bottom_high),
                pick_i64(top_high, odds, bottom_high),
            ]
        }

        /// Output `n` interleaves `x[n & !1]` and `x[n | 1]`: their low
        /// halves of each 128-bit block (`low`) where `n` is even, their
        /// high halves (`high`) where it is odd.
        #[inline(always)]
        fn interleave_pairs<const N: usize>(
            x: &[m512i; N],
            low: impl Fn(m512i, m512i) -> m512i,
            high: impl Fn(m512i, m512i) -> m512i,
        ) -> [m512i; N] {
            core::array::from_fn(|n| if n % 2 == 0 { low(x[n & !1], x[n | 1]) } else { high(x[n & !1], x[n | 1]) })
        }

        /// 16 × 16 `f32`: 32-bit, then 64-bit interleaves within each
        /// 128-bit block leave 4 × 4 transposed blocks, which [`blocks`]
        /// then moves into place.
        #[inline(always)]
        pub fn f32x16(rows: [wide::f32x16; 16]) -> [wide::f32x16; 16] {
            let bits: [m512i; 16] = core::array::from_fn(|n| cast_to_m512i_from_m512(m512(__m512::from(rows[n]))));
            // Rows 2p and 2p + 1 interleaved: columns 4q, 4q + 1 of both in
            // block q of `pairs[2p]`, columns 4q + 2, 4q + 3 in `pairs[2p + 1]`.
            let pairs = interleave_pairs(&bits, unpack_low_i32_m512i, unpack_high_i32_m512i);
            // Reordered so that the pairs of rows 4g, 4g + 1 and 4g + 2,
            // 4g + 3 sit side by side for each half of the columns:
            // then block q of `quads[4g + c]` is column 4q + c of rows
            // 4g .. 4g + 4.
            let pairs: [m512i; 16] = core::array::from_fn(|n| pairs[n / 4 * 4 + [0, 2, 1, 3][n % 4]]);
            let quads = interleave_pairs(&pairs, unpack_low_i64_m512i, unpack_high_i64_m512i);
            let mut columns = [wide::f32x16::ZERO; 16];
            for c in 0..4 {
                let moved = blocks([quads[c], quads[4 + c], quads[8 + c], quads[12 + c]]);
                for (q, block) in moved.into_iter().enumerate() {
                    columns[4 * q + c] = wide::f32x16::from(cast_to_m512_from_m512i(block).0);
                }
            }
            columns
        }

        /// 8 × 8 `f64`: a 64-bit interleave leaves 2 × 2 transposed
        /// blocks (block q of `pairs[2p + c]`: column 2q + c of rows 2p
        /// and 2p + 1), which [`blocks`] then moves into place.
        #[inline(always)]
        pub fn f64x8(rows: [wide::f64x8; 8]) -> [wide::f64x8; 8] {
            let bits: [m512i; 8] = core::array::from_fn(|n| cast_to_m512i_from_m512d(m512d(__m512d::from(rows[n]))));
            let pairs = interleave_pairs(&bits, unpack_low_i64_m512i, unpack_high_i64_m512i);
            // The placement loop of `f32x16` with 2 for 4: written once,
            // generic over the count, it led LLVM to split some f64
            // instances' stores into 128-bit pieces (dX −3 to −4 %).
            let mut columns = [wide::f64x8::ZERO; 8];
            for c in 0..2 {
                let moved = blocks([pairs[c], pairs[2 + c], pairs[4 + c], pairs[6 + c]]);
                for (q, block) in moved.into_iter().enumerate() {
                    columns[2 * q + c] = wide::f64x8::from(cast_to_m512d_from_m512i(block).0);
                }
            }
            columns
        }
    }
}

#[cfg(all(test, target_feature = "avx"))]
mod tests {
    use super::Vector;
    use crate::Element;
    use wide::{f32x8, f32x16, f64x4, f64x8};

    /// `load_transposed` of a block at column 3 of rows 41 wide, against
    /// element-by-element indexing; then with the last rows missing, whose
    /// lanes must come back zero.
    fn transposes<T: Element, V: Vector<T>>() {
        let lanes = V::LANES;
        let mut rows = [[T::ZERO; 41]; 16];
        for (r, row) in rows.iter_mut().enumerate() {
            for (c, value) in row.iter_mut().enumerate() {
                *value = T::from_f64((r * 100 + c) as f64);
            }
        }
        for present in [lanes, lanes - 1, 1] {
            let mut out = [V::ZERO; 16];
            V::load_transposed(&rows[..present], 3, &mut out[..lanes]);
            for (t, column) in out[..lanes].iter().enumerate() {
                let mut values = [T::ZERO; 16];
                column.store(&mut values);
                for (l, &value) in values[..lanes].iter().enumerate() {
                    let expected = if l < present { rows[l][3 + t] } else { T::ZERO };
                    assert_eq!(value, expected, "{} lanes, {present} rows: column {t}, lane {l}", lanes);
                }
            }
        }
    }

    #[test]
    fn every_vector_type_transposes_a_block() {
        transposes::<f32, f32x8>();
        transposes::<f64, f64x4>();
        transposes::<f32, f32x16>();
        transposes::<f64, f64x8>();
    }
}
