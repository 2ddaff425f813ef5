//! Requantization: scaling an int32 accumulator by a real multiplier held as
//! a Q31 fixed-point `multiplier` and a power-of-two `shift`, in integer
//! arithmetic only, rounding exactly as TensorFlow Lite Micro and CMSIS-NN do.
//!
//! Two forms exist, and a model is built for one of them:
//!
//! - **double rounding** (TFLite's default): multiply by `2^shift` when the
//!   shift is positive (wrapping in 32 bits), take the rounded high half of
//!   the doubled 64-bit product with the multiplier (ties toward +∞), then
//!   divide by `2^-shift` when it is negative, rounding ties away from zero;
//! - **single rounding** (`TFLITE_SINGLE_ROUNDING`): one 64-bit product
//!   `x · multiplier`, rounded once by `2^(31 − shift)`, ties toward +∞.
//!
//! Every function here is a `const fn` over integers, so a layer built at
//! compile time and one built at run time compute the same bits on every
//! target.

/// A real multiplier `multiplier · 2^(shift − 31)`: `multiplier` in
/// `[2^30, 2^31)` (or 0 for a multiplier too small to represent), `shift` the
/// power of two that brings it back to the real value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantizedMultiplier {
    /// The Q31 significand.
    pub multiplier: i32,
    /// The power of two: positive shifts left, negative right.
    pub shift: i32,
}

/// The high 32 bits of `2·a·b`, rounded to nearest with ties toward +∞; the
/// one product that overflows (`a = b = i32::MIN`) saturates to `i32::MAX`.
pub const fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let product = a as i64 * b as i64;
    // Adding half of 2^31 (less one for negative products) and then dividing
    // with truncation toward zero rounds ties toward +∞ for either sign.
    let nudge: i64 = if product >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    ((product + nudge) / (1i64 << 31)) as i32
}

/// `x / 2^exponent` rounded to nearest, ties away from zero, for `exponent`
/// in `0..=31`.
pub const fn rounding_divide_by_power_of_two(x: i32, exponent: u32) -> i32 {
    let mask = ((1i64 << exponent) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + if x < 0 { 1 } else { 0 };
    (x >> exponent) + if remainder > threshold { 1 } else { 0 }
}

/// `x · multiplier`, the double-rounding way (TFLite's default
/// `MultiplyByQuantizedMultiplier`). `shift` must lie in `-31..=30`.
pub const fn multiply_double_rounding(x: i32, by: QuantizedMultiplier) -> i32 {
    let (left, right) = if by.shift > 0 { (by.shift as u32, 0) } else { (0, (-by.shift) as u32) };
    // The left shift wraps in 32 bits, as the C kernels' `x * (1 << left)`
    // does in practice on every target they run on.
    let scaled = x.wrapping_mul(1i32.wrapping_shl(left));
    rounding_divide_by_power_of_two(saturating_rounding_doubling_high_mul(scaled, by.multiplier), right)
}

/// `x · multiplier`, the single-rounding way (`TFLITE_SINGLE_ROUNDING`).
/// `shift` must lie in `-31..=30` and `multiplier` be non-negative.
pub const fn multiply_single_rounding(x: i32, by: QuantizedMultiplier) -> i32 {
    let total_shift = (31 - by.shift) as u32;
    let round = 1i64 << (total_shift - 1);
    ((x as i64 * by.multiplier as i64 + round) >> total_shift) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    /// `floor(n / 2^k)` for any sign: the oracle's rounding steps, written
    /// with Euclidean division in 128 bits rather than C's truncation.
    fn floor_div_pow2(n: i128, k: u32) -> i128 {
        n.div_euclid(1i128 << k)
    }

    /// `n / 2^k`, ties away from zero, in exact arithmetic.
    fn round_half_away(n: i128, k: u32) -> i128 {
        if k == 0 {
            return n;
        }
        let magnitude = floor_div_pow2(n.abs() + (1i128 << (k - 1)), k);
        if n < 0 { -magnitude } else { magnitude }
    }

    /// The double-rounding definition, step by step in exact arithmetic.
    fn double_rounding_oracle(x: i32, multiplier: i32, shift: i32) -> i32 {
        let left = shift.max(0) as u32;
        let right = (-shift).max(0) as u32;
        let scaled = i128::from(x.wrapping_mul(1i32.wrapping_shl(left)));
        let high = if scaled == i128::from(i32::MIN) && multiplier == i32::MIN {
            i128::from(i32::MAX)
        } else {
            // Round 2·a·b / 2^32 = a·b / 2^31 to nearest, ties toward +∞.
            floor_div_pow2(scaled * i128::from(multiplier) + (1i128 << 30), 31)
        };
        i32::try_from(round_half_away(high, right)).expect("fits i32")
    }

    fn single_rounding_oracle(x: i32, multiplier: i32, shift: i32) -> i32 {
        let k = (31 - shift) as u32;
        let exact = i128::from(x) * i128::from(multiplier);
        i32::try_from(floor_div_pow2(exact + (1i128 << (k - 1)), k)).expect("fits i32")
    }

    /// A small, seeded generator: the tests must be repeatable.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u32 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 32) as u32
        }
    }

    fn interesting_accumulators(rng: &mut Lcg) -> Vec<i32> {
        let mut values = vec![0, 1, -1, 2, -2, i32::MAX, i32::MIN, i32::MIN + 1, 1 << 30, -(1 << 30), 12345, -12345];
        values.extend((0..400).map(|_| rng.next() as i32));
        values.extend((0..400).map(|_| (rng.next() as i32) >> (rng.next() % 31)));
        values
    }

    fn interesting_multipliers(rng: &mut Lcg) -> Vec<i32> {
        let mut values = vec![1 << 30, (1 << 30) + 1, i32::MAX, i32::MAX - 1, 0x5555_5555, 0x4000_0001];
        values.extend((0..40).map(|_| (1 << 30) | (rng.next() as i32 & 0x3fff_ffff)));
        values
    }

    #[test]
    fn the_high_multiply_rounds_ties_toward_plus_infinity() {
        // 2·a·b / 2^32 = ±0.5 exactly: a = 2^15, b = 2^15 gives 2^30 / 2^31.
        assert_eq!(saturating_rounding_doubling_high_mul(1 << 15, 1 << 15), 1);
        assert_eq!(saturating_rounding_doubling_high_mul(-(1 << 15), 1 << 15), 0);
        assert_eq!(saturating_rounding_doubling_high_mul(-3 << 15, 1 << 15), -1);
        assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN), i32::MAX);
        assert_eq!(saturating_rounding_doubling_high_mul(i32::MIN, i32::MAX), -i32::MAX);
    }

    #[test]
    fn the_power_of_two_division_rounds_ties_away_from_zero() {
        assert_eq!(rounding_divide_by_power_of_two(5, 1), 3);
        assert_eq!(rounding_divide_by_power_of_two(-5, 1), -3);
        assert_eq!(rounding_divide_by_power_of_two(-6, 2), -2);
        assert_eq!(rounding_divide_by_power_of_two(-7, 2), -2);
        assert_eq!(rounding_divide_by_power_of_two(7, 0), 7);
        assert_eq!(rounding_divide_by_power_of_two(i32::MIN, 31), -1);
        assert_eq!(rounding_divide_by_power_of_two(i32::MAX, 31), 1);
    }

    #[test]
    #[cfg_attr(miri, ignore = "a sweep of many cases, too slow under Miri")]
    fn double_rounding_matches_its_definition_in_exact_arithmetic() {
        let mut rng = Lcg(0x5eed);
        let accumulators = interesting_accumulators(&mut rng);
        for multiplier in interesting_multipliers(&mut rng) {
            for shift in -31..=30 {
                for &x in &accumulators {
                    let by = QuantizedMultiplier { multiplier, shift };
                    assert_eq!(
                        multiply_double_rounding(x, by),
                        double_rounding_oracle(x, multiplier, shift),
                        "x = {x}, multiplier = {multiplier}, shift = {shift}"
                    );
                }
            }
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "a sweep of many cases, too slow under Miri")]
    fn single_rounding_matches_its_definition_in_exact_arithmetic() {
        let mut rng = Lcg(0xfeed);
        let accumulators = interesting_accumulators(&mut rng);
        for multiplier in interesting_multipliers(&mut rng) {
            for shift in -31..=0 {
                for &x in &accumulators {
                    let by = QuantizedMultiplier { multiplier, shift };
                    assert_eq!(
                        multiply_single_rounding(x, by),
                        single_rounding_oracle(x, multiplier, shift),
                        "x = {x}, multiplier = {multiplier}, shift = {shift}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_two_forms_differ_only_at_ties() {
        // A multiplier of 2^30 (0.5 in Q31) and a shift of -1: x · 0.25.
        // x = 3 gives 0.75, no tie: both forms round to 1.
        let quarter = QuantizedMultiplier { multiplier: 1 << 30, shift: -1 };
        assert_eq!(multiply_double_rounding(3, quarter), 1);
        assert_eq!(multiply_single_rounding(3, quarter), 1);
        // x = 2: 0.5 exactly. Double rounding: high mul gives 1 (exact), then
        // 1 / 2 = 0.5 → 1 (away from zero); single: 0.5 → 1 (toward +∞).
        assert_eq!(multiply_double_rounding(2, quarter), 1);
        assert_eq!(multiply_single_rounding(2, quarter), 1);
        // x = -2: -0.5. Double: -1 / 2 → -1 (away from zero); single: → 0.
        assert_eq!(multiply_double_rounding(-2, quarter), -1);
        assert_eq!(multiply_single_rounding(-2, quarter), 0);
    }
}
