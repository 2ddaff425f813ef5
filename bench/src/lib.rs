//! Shared pieces of the `tinylinear` benchmarks: the list of shapes, the
//! deterministic test data, heap-built batches on cache lines and the median.
//!
//! The benchmark itself is `benches/peers.rs` (tinylinear against other
//! Rust GEMM crates, under criterion) and the roofline is
//! `examples/roofline.rs`. Both run the shapes of [`for_each_shape!`], so
//! their numbers can be read side by side.

use tinylinear::Element;

pub mod peer;

/// Calls `$f::<T, B, DIN, DOUT>($args…)` once for every benchmarked shape.
///
/// The shapes are those of the kernel issue: batch-1 GEMVs (memory-bound),
/// small and medium batches, and one large layer, in `f32`; the three
/// batched ones again in `f64`.
///
/// ```
/// fn describe<T: tinylinear::Element, const B: usize, const DIN: usize, const DOUT: usize>(
///     out: &mut Vec<String>,
/// ) {
///     out.push(tinylinear_bench::shape_name::<T>(B, DIN, DOUT));
/// }
/// let mut names = Vec::new();
/// tinylinear_bench::for_each_shape!(describe(&mut names));
/// assert_eq!(names[0], "f32 B=1 64->32");
/// assert_eq!(names.len(), 10);
/// ```
#[macro_export]
macro_rules! for_each_shape {
    ($f:ident ( $($arg:expr),* $(,)? )) => {
        $f::<f32, 1, 64, 32>($($arg),*);
        $f::<f32, 1, 256, 128>($($arg),*);
        $f::<f32, 1, 1024, 1024>($($arg),*);
        $f::<f32, 8, 512, 512>($($arg),*);
        $f::<f32, 32, 128, 64>($($arg),*);
        $f::<f32, 64, 256, 256>($($arg),*);
        $f::<f32, 128, 512, 512>($($arg),*);
        $f::<f64, 32, 128, 64>($($arg),*);
        $f::<f64, 64, 256, 256>($($arg),*);
        $f::<f64, 128, 512, 512>($($arg),*);
    };
}

/// The name a shape goes by in every report: `"f32 B=32 128->64"`.
#[must_use]
pub fn shape_name<T: Element>(batch: usize, din: usize, dout: usize) -> String {
    format!("{} B={batch} {din}->{dout}", T::NAME)
}

/// Fills `out` with deterministic, irregular values in `[-1, 1)`, different
/// for every `seed`.
///
/// Irregular matters: with constant inputs a transposed or mis-strided
/// product gives the same numbers as the right one, and the correctness
/// guard of the benchmark would pass a wrong peer setup.
pub fn fill_signal<T: Element>(out: &mut [T], seed: u64) {
    // SplitMix64: a full-period 64-bit generator, plenty for test data.
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    for slot in out {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // The top 53 bits as a fraction in [0, 1), then onto [-1, 1).
        let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
        *slot = T::from_f64(2.0 * unit - 1.0);
    }
}

/// Bytes of a cache line: where every benchmark buffer starts.
pub const LINE: usize = 64;

/// A heap buffer of `T` whose first element starts a [`LINE`]-byte cache
/// line, seen as a slice.
///
/// Every buffer the benchmarks hand to a kernel, tinylinear's and the
/// peers' alike, is one of these (tinylinear's layer types align
/// themselves), so that no timing depends on where the allocator put it:
/// on an Intel Xeon, the same kernels with every buffer 16 bytes off a
/// line ran up to 28 % slower, and the allocator hands out exactly such
/// addresses for large blocks.
///
/// ```
/// let buffer = tinylinear_bench::Lined::copied(&[1.0f32, 2.0, 3.0]);
/// assert_eq!(&buffer[..], &[1.0, 2.0, 3.0]);
/// assert_eq!(buffer.as_ptr().addr() % tinylinear_bench::LINE, 0);
/// ```
pub struct Lined<T> {
    storage: Vec<T>,
    start: usize,
    len: usize,
}

impl<T: Element> Lined<T> {
    /// `len` copies of `value`.
    #[must_use]
    pub fn filled(len: usize, value: T) -> Self {
        let storage = vec![value; len + LINE / size_of::<T>()];
        let past = storage.as_ptr().addr() % LINE;
        let start = (LINE - past) % LINE / size_of::<T>();
        Self { storage, start, len }
    }

    /// `len` zeros.
    #[must_use]
    pub fn zeroed(len: usize) -> Self {
        Self::filled(len, T::ZERO)
    }

    /// A copy of `values`.
    #[must_use]
    pub fn copied(values: &[T]) -> Self {
        let mut lined = Self::zeroed(values.len());
        lined.copy_from_slice(values);
        lined
    }
}

impl<T> core::ops::Deref for Lined<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.storage[self.start..self.start + self.len]
    }
}

impl<T> core::ops::DerefMut for Lined<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

/// A batch of `B` rows of width `N` on the heap (never on the stack: a
/// 128 × 512 `f64` batch is 512 KiB), starting a cache line (see
/// [`Lined`]), seen as the array the layer's methods take.
pub struct LinedRows<T, const B: usize, const N: usize>(Lined<T>);

impl<T: Element, const B: usize, const N: usize> LinedRows<T, B, N> {
    /// All zero.
    #[must_use]
    pub fn zeroed() -> Self {
        Self(Lined::zeroed(B * N))
    }

    /// Filled by [`fill_signal`] with `seed`.
    #[must_use]
    pub fn signal(seed: u64) -> Self {
        let mut rows = Self::zeroed();
        fill_signal(&mut rows.0, seed);
        rows
    }
}

impl<T, const B: usize, const N: usize> core::ops::Deref for LinedRows<T, B, N> {
    type Target = [[T; N]; B];
    fn deref(&self) -> &[[T; N]; B] {
        self.0.as_chunks().0.try_into().expect("B rows of N")
    }
}

impl<T, const B: usize, const N: usize> core::ops::DerefMut for LinedRows<T, B, N> {
    fn deref_mut(&mut self) -> &mut [[T; N]; B] {
        self.0.as_chunks_mut().0.try_into().expect("B rows of N")
    }
}

/// The median of `values` (sorted in place); the mean of the middle two
/// for an even count. NaN sorts last and never panics.
///
/// # Panics
///
/// If `values` is empty.
#[must_use]
pub fn median(values: &mut [f64]) -> f64 {
    assert!(!values.is_empty(), "the median of nothing");
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 { values[mid] } else { 0.5 * (values[mid - 1] + values[mid]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_is_deterministic_bounded_and_irregular() {
        let (mut a, mut b) = ([0.0f64; 64], [0.0f64; 64]);
        fill_signal(&mut a, 7);
        fill_signal(&mut b, 7);
        assert_eq!(a, b);
        assert!(a.iter().all(|v| (-1.0..1.0).contains(v)));
        fill_signal(&mut b, 8);
        assert_ne!(a, b);
        assert!(a.windows(2).all(|w| w[0] != w[1]));
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn lined_rows_start_a_line_and_have_the_right_shape() {
        // Several sizes, so that the allocator's placement varies.
        for _ in 0..4 {
            let rows = LinedRows::<f32, 3, 5>::signal(1);
            assert_eq!(rows.len(), 3);
            assert_eq!(rows.as_ptr().addr() % LINE, 0);
            assert!(rows.as_flattened().iter().any(|&v| v != 0.0));
            let big = LinedRows::<f64, 128, 512>::zeroed();
            assert_eq!(big.as_ptr().addr() % LINE, 0);
            assert!(big.as_flattened().iter().all(|&v| v == 0.0));
            let flat = Lined::<f32>::filled(7, 2.0);
            assert_eq!((flat.len(), flat.as_ptr().addr() % LINE), (7, 0));
        }
    }
}
