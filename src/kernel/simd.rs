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
    /// Whether [`Vector::sums`] adds several vectors' lanes at once.
    const SUMS_IN_TREES: bool;
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
    /// `sums[v]` = the sum of the lanes of `vectors[v]`, for as many as
    /// both hold. AVX-512 adds `LANES` vectors' lanes in one tree of
    /// shuffles (see `lane_sums`); everything else sums each vector.
    fn sums(vectors: &[Self], sums: &mut [T]);
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

/// Generates `Vector` for one `wide` type, its lanes summed as the module
/// `lane_sums::$sums` says.
macro_rules! impl_vector {
    ($vector:ty, $element:ty, $lanes:literal, $transpose:path, $sums:ident) => {
        impl Vector<$element> for $vector {
            const LANES: usize = $lanes;
            const SUMS_IN_TREES: bool = lane_sums::$sums::IN_TREES;
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

            #[inline(always)]
            fn sums(vectors: &[Self], sums: &mut [$element]) {
                lane_sums::$sums::sums(vectors, sums)
            }
        }
    };
}

// The packed blocks' stack size (`tuning::forward_pack_stack_bytes`) counts on
// both element types having vectors of the same size.
const _: () = assert!(size_of::<f32x8>() == size_of::<f64x4>() && size_of::<f32x16>() == size_of::<f64x8>());

impl_vector!(f32x8, f32, 8, f32x8::transpose, one_at_a_time);
impl_vector!(f64x4, f64, 4, f64x4::transpose, one_at_a_time);
impl_vector!(f32x16, f32, 16, transpose_512::f32x16, f32x16);
impl_vector!(f64x8, f64, 8, transpose_512::f64x8, f64x8);

/// Sums of the lanes of many vectors: the dX dot tiles end with one per
/// accumulator. One vector at a time, a 512-bit sum takes four shuffles
/// and four additions, on the port that also runs FMAs. AVX-512 builds
/// add `LANES` vectors at once in a tree (`transpose_512::f32x16_sums`),
/// 30 shuffles and 15 additions for sixteen `f32` vectors.
mod lane_sums {
    /// Each vector's own sum.
    pub mod one_at_a_time {
        use crate::kernel::simd::Vector;

        pub const IN_TREES: bool = false;

        #[inline(always)]
        pub fn sums<T: Copy, V: Vector<T>>(vectors: &[V], sums: &mut [T]) {
            for (sum, vector) in sums.iter_mut().zip(vectors) {
                *sum = vector.sum();
            }
        }
    }

    // Trees only where the build has AVX-512's permutes.
    #[cfg(not(target_feature = "avx512f"))]
    pub use one_at_a_time as f32x16;
    #[cfg(not(target_feature = "avx512f"))]
    pub use one_at_a_time as f64x8;

    /// Sixteen vectors at a time through the tree, and a last group of
    /// eight or more padded with zero vectors; fewer one at a time.
    #[cfg(target_feature = "avx512f")]
    pub mod f32x16 {
        pub const IN_TREES: bool = true;

        #[inline(always)]
        pub fn sums(vectors: &[wide::f32x16], sums: &mut [f32]) {
            crate::kernel::simd::lane_sums::in_trees(vectors, sums, |group| {
                crate::kernel::simd::transpose_512::f32x16_sums(group).to_array()
            });
        }
    }

    /// Eight vectors at a time through the tree, and a last group of
    /// four or more padded with zero vectors; fewer one at a time.
    #[cfg(target_feature = "avx512f")]
    pub mod f64x8 {
        pub const IN_TREES: bool = true;

        #[inline(always)]
        pub fn sums(vectors: &[wide::f64x8], sums: &mut [f64]) {
            crate::kernel::simd::lane_sums::in_trees(vectors, sums, |group| {
                crate::kernel::simd::transpose_512::f64x8_sums(group).to_array()
            });
        }
    }

    /// `sums` of `vectors`, `L` at a time through `tree`.
    #[cfg(target_feature = "avx512f")]
    #[inline(always)]
    fn in_trees<T: Copy, V: crate::kernel::simd::Vector<T>, const L: usize>(
        vectors: &[V],
        sums: &mut [T],
        tree: impl Fn([V; L]) -> [T; L],
    ) {
        let count = vectors.len().min(sums.len());
        let (groups, _) = vectors.as_chunks::<L>();
        let (sum_groups, _) = sums.as_chunks_mut::<L>();
        let mut done = 0;
        for (group, sum_group) in groups.iter().zip(sum_groups) {
            *sum_group = tree(*group);
            done += L;
        }
        let (Some(rest), Some(sums)) = (vectors.get(done..count), sums.get_mut(done..count)) else {
            return;
        };
        if 2 * rest.len() >= L {
            let padded = tree(core::array::from_fn(|v| rest.get(v).copied().unwrap_or(V::ZERO)));
            for (sum, &value) in sums.iter_mut().zip(&padded) {
                *sum = value;
            }
        } else {
            one_at_a_time::sums(rest, sums);
        }
    }
}

/// Transposes of the 512-bit vectors. `wide`'s own go element by element,
/// so AVX-512 builds run them on 512-bit interleaves and two-source
/// permutes, through `safe_arch` (the safe wrappers of the intrinsics that
/// `wide` is built on): 64 shuffles for 16 × 16 `f32` and 24 for 8 × 8
/// `f64`, where four transposes of 256-bit halves took 96 and 32, and 16
/// and 8 more to join the halves. AVX2 builds never call these and keep
/// `wide`'s. Measurements: BENCHMARKS.md.
#[cfg(target_feature = "avx")]
mod transpose_512 {
    #[cfg(target_feature = "avx512f")]
    pub use permutes::{f32x16, f32x16_sums, f64x8, f64x8_sums};

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
            add_m512, add_m512d, cast_to_m512_from_m512i, cast_to_m512d_from_m512i, cast_to_m512i_from_m512,
            cast_to_m512i_from_m512d, m512, m512d, m512i, shuffle_abv_i64_all_m512i as pick_i64, unpack_high_i32_m512i,
            unpack_high_i64_m512i, unpack_low_i32_m512i, unpack_low_i64_m512i,
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

        /// Output `p` adds [`interleave_pairs`]' outputs `2p` and `2p + 1`,
        /// the two interleaves of `x[2p]` and `x[2p + 1]`: each lane then
        /// holds a partial sum of one of the two, and the count halves.
        #[inline(always)]
        fn added_pairs<const N: usize, const HALF: usize>(
            x: &[m512i; N],
            low: impl Fn(m512i, m512i) -> m512i,
            high: impl Fn(m512i, m512i) -> m512i,
            add: impl Fn(m512i, m512i) -> m512i,
        ) -> [m512i; HALF] {
            const { assert!(N == 2 * HALF, "pairs of vectors halve their count") };
            let both = interleave_pairs(x, low, high);
            core::array::from_fn(|p| add(both[2 * p], both[2 * p + 1]))
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
            // The placement loop of `f32x16` with 2 for 4, written out:
            // one loop generic over the count can lead LLVM to split the
            // f64 stores into 128-bit pieces.
            let mut columns = [wide::f64x8::ZERO; 8];
            for c in 0..2 {
                let moved = blocks([pairs[c], pairs[2 + c], pairs[4 + c], pairs[6 + c]]);
                for (q, block) in moved.into_iter().enumerate() {
                    columns[2 * q + c] = wide::f64x8::from(cast_to_m512d_from_m512i(block).0);
                }
            }
            columns
        }

        /// The four 128-bit blocks of each of `x` added up: block `m` of the
        /// result is the sum of `x[m]`'s blocks, lane by lane. Two rounds
        /// of two-source permutes, each pair's two results added at once
        /// (six permutes, three additions).
        #[inline(always)]
        fn block_sums(x: [m512i; 4], add: impl Fn(m512i, m512i) -> m512i) -> m512i {
            let index = |lanes: [i64; 8]| m512i::from(lanes);
            let (low_halves, high_halves) = (index([0, 1, 2, 3, 8, 9, 10, 11]), index([4, 5, 6, 7, 12, 13, 14, 15]));
            let (evens, odds) = (index([0, 1, 4, 5, 8, 9, 12, 13]), index([2, 3, 6, 7, 10, 11, 14, 15]));
            // Blocks 0 + 2 and 1 + 3 of the first source, then of the second.
            let halves = |a, b| add(pick_i64(a, low_halves, b), pick_i64(a, high_halves, b));
            let (top, bottom) = (halves(x[0], x[1]), halves(x[2], x[3]));
            add(pick_i64(top, evens, bottom), pick_i64(top, odds, bottom))
        }

        /// Lane `i` of the result is the sum of the lanes of `vectors[i]`.
        /// The steps of [`f32x16`]'s transpose, except that the two
        /// outputs of each interleave are added at once, which halves the
        /// count at every step: 16, then 8 interleaves within 128-bit
        /// blocks leave four vectors whose block `q` holds, in lane `c`,
        /// a partial sum of vector `4m + c` (`m` the vector's index); then
        /// [`block_sums`]. 30 shuffles and 15 additions in all.
        #[inline(always)]
        pub fn f32x16_sums(vectors: [wide::f32x16; 16]) -> wide::f32x16 {
            let add = |a, b| cast_to_m512i_from_m512(add_m512(cast_to_m512_from_m512i(a), cast_to_m512_from_m512i(b)));
            let bits: [m512i; 16] = core::array::from_fn(|n| cast_to_m512i_from_m512(m512(__m512::from(vectors[n]))));
            // Vectors 2p and 2p + 1 in alternate lanes of each block.
            let pairs: [m512i; 8] = added_pairs(&bits, unpack_low_i32_m512i, unpack_high_i32_m512i, add);
            // Vectors 4m .. 4m + 4 in lanes 0 .. 4 of each block.
            let quads: [m512i; 4] = added_pairs(&pairs, unpack_low_i64_m512i, unpack_high_i64_m512i, add);
            wide::f32x16::from(cast_to_m512_from_m512i(block_sums(quads, add)).0)
        }

        /// Lane `i` of the result is the sum of the lanes of `vectors[i]`:
        /// [`f32x16_sums`] for eight `f64` vectors, one 64-bit interleave
        /// and [`block_sums`] (14 shuffles and 7 additions).
        #[inline(always)]
        pub fn f64x8_sums(vectors: [wide::f64x8; 8]) -> wide::f64x8 {
            let add =
                |a, b| cast_to_m512i_from_m512d(add_m512d(cast_to_m512d_from_m512i(a), cast_to_m512d_from_m512i(b)));
            let bits: [m512i; 8] = core::array::from_fn(|n| cast_to_m512i_from_m512d(m512d(__m512d::from(vectors[n]))));
            // Vectors 2m and 2m + 1 in lanes 0 and 1 of each block.
            let pairs: [m512i; 4] = added_pairs(&bits, unpack_low_i64_m512i, unpack_high_i64_m512i, add);
            wide::f64x8::from(cast_to_m512d_from_m512i(block_sums(pairs, add)).0)
        }
    }
}

#[cfg(all(test, target_feature = "avx"))]
mod tests {
    use crate::kernel::simd::Vector;
    use core::fmt::Debug;
    use wide::{f32x8, f32x16, f64x4, f64x8};

    /// The two element types, as these tests build values of them.
    trait Element: Copy + PartialEq + Debug {
        const ZERO: Self;
        fn from_f64(value: f64) -> Self;
    }

    impl Element for f32 {
        const ZERO: Self = 0.0;
        fn from_f64(value: f64) -> Self {
            value as f32
        }
    }

    impl Element for f64 {
        const ZERO: Self = 0.0;
        fn from_f64(value: f64) -> Self {
            value
        }
    }

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

    /// `Vector::sums` of 1 to 33 vectors (whole trees, padded ones, and
    /// vectors summed one at a time), into room for all of them and for
    /// fewer, against each vector's lanes added in order. The values are
    /// small integers, so every order of addition gives the same sum.
    fn sums_every_count<T: Element, V: Vector<T>>() {
        let lanes = V::LANES;
        let vectors: [V; 33] = core::array::from_fn(|v| {
            let values: [T; 16] = core::array::from_fn(|l| T::from_f64((v * 37 + l * l) as f64 - 200.0));
            V::load(&values)
        });
        for count in 1..=vectors.len() {
            for room in [count, count - 1, count / 2] {
                let mut sums = [T::from_f64(-1.0); 34];
                V::sums(&vectors[..count], &mut sums[..room]);
                for (v, &sum) in sums.iter().enumerate() {
                    let expected =
                        if v < room { (0..lanes).map(|l| (v * 37 + l * l) as f64 - 200.0).sum() } else { -1.0 };
                    assert_eq!(sum, T::from_f64(expected), "{lanes} lanes, {count} vectors, room for {room}: sum {v}");
                }
            }
        }
    }

    #[test]
    fn every_vector_type_sums_many_vectors() {
        sums_every_count::<f32, f32x8>();
        sums_every_count::<f64, f64x4>();
        sums_every_count::<f32, f32x16>();
        sums_every_count::<f64, f64x8>();
    }

    #[test]
    fn every_vector_type_transposes_a_block() {
        transposes::<f32, f32x8>();
        transposes::<f64, f64x4>();
        transposes::<f32, f32x16>();
        transposes::<f64, f64x8>();
    }
}
