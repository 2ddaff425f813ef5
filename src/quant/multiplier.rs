//! From float scales to a [`QuantizedMultiplier`], bit for bit as TFLite
//! forms it, in integer arithmetic.
//!
//! TFLite computes the real multiplier `s_x · s_w / s_y` in floating point,
//! and its two paths round differently:
//!
//! - per tensor, the product `s_x · s_w` is rounded to `f32` first, then
//!   widened and divided by `s_y` in `f64`;
//! - per channel, all three are widened to `f64` first: the product is exact
//!   there, and only the quotient rounds.
//!
//! `QuantizeMultiplier` then splits the `f64` into a fraction in `[0.5, 1)`
//! and a power of two, and rounds the fraction to 31 bits, ties away from
//! zero. Done with the FPU, these steps can round twice on x87 (whose
//! registers are wider than `f64`) and are not what `const` evaluation does
//! on every target; done here with integers (IEEE round-to-nearest-even by
//! hand), a layer built at compile time and one built at run time agree on
//! every target.

use super::fixed_point::QuantizedMultiplier;

/// A positive, finite `f32` as `significand · 2^exponent` (subnormals
/// included); `None` for zero, negatives, infinities and NaN.
const fn decompose(value: f32) -> Option<(u64, i32)> {
    let bits = value.to_bits();
    let biased = ((bits >> 23) & 0xff) as i32;
    let fraction = (bits & 0x7f_ffff) as u64;
    if bits >> 31 != 0 || biased == 0xff || (biased == 0 && fraction == 0) {
        return None;
    }
    if biased == 0 { Some((fraction, -149)) } else { Some((fraction | 1 << 23, biased - 150)) }
}

/// Bits needed to write `n` (0 for 0).
const fn bit_length(n: u128) -> i32 {
    128 - n.leading_zeros() as i32
}

/// `n` shifted right by `drop` bits, rounded to nearest with ties to even.
const fn shift_right_to_even(n: u128, drop: i32) -> u128 {
    if drop <= 0 {
        return n << -drop;
    }
    if drop >= 128 {
        return 0;
    }
    let kept = n >> drop;
    let rest = n & ((1u128 << drop) - 1);
    let half = 1u128 << (drop - 1);
    if rest > half || (rest == half && kept & 1 == 1) { kept + 1 } else { kept }
}

/// `significand · 2^exponent` rounded to the nearest `f32` (ties to even,
/// subnormals kept), as `(significand, exponent)`; `None` past `f32::MAX`.
/// Zero comes back as `(0, 0)`.
const fn round_to_f32(significand: u128, exponent: i32) -> Option<(u128, i32)> {
    let length = bit_length(significand);
    if length == 0 {
        return Some((0, 0));
    }
    // Keep 24 bits, or fewer where the result falls below the smallest
    // normal and its last bit must stay at 2^-149.
    let mut drop = length - 24;
    if exponent + drop < -149 {
        drop = -149 - exponent;
    }
    let mut kept = shift_right_to_even(significand, drop);
    let mut exponent = exponent + drop;
    if kept == 1 << 24 {
        kept = 1 << 23;
        exponent += 1;
    }
    if kept == 0 {
        return Some((0, 0));
    }
    if exponent + bit_length(kept) > 128 { None } else { Some((kept, exponent)) }
}

/// `numerator / denominator · 2^exponent` rounded to `bits` significant
/// bits (ties to even), as the significand and its exponent: an `f64`
/// quotient with 53, an `f32` one with 24 (exponent range aside, which the
/// callers handle).
const fn divide_rounded(numerator: u128, denominator: u128, exponent: i32, bits: i32) -> (u128, i32) {
    // Enough quotient bits for those kept, a rounding bit and more; the
    // remainder joins the bits dropped below them.
    let extra = 128 - 1 - bit_length(numerator);
    let quotient = (numerator << extra) / denominator;
    let inexact = !(numerator << extra).is_multiple_of(denominator);
    let drop = bit_length(quotient) - bits;
    let kept = quotient >> drop;
    let rest = quotient & ((1u128 << drop) - 1);
    let half = 1u128 << (drop - 1);
    let up = rest > half || (rest == half && (inexact || kept & 1 == 1));
    let (mut kept, mut exponent) = (kept + up as u128, exponent - extra + drop);
    if kept == 1 << bits {
        kept = 1 << (bits - 1);
        exponent += 1;
    }
    (kept, exponent)
}

/// The quotient as an `f64`: the inputs here come from `f32` scales, so it
/// is always a normal `f64`.
const fn divide_to_f64(numerator: u128, denominator: u128, exponent: i32) -> (u128, i32) {
    divide_rounded(numerator, denominator, exponent, 53)
}

/// TFLite's `Quantize(scale, 0, real)` of a small whole number (a fused
/// activation's bound): `real / scale` rounded to `f32`, then to an integer
/// with ties away from zero, saturating at `i32`'s range. 0 for a scale that
/// is not positive and finite (the callers refuse those first).
pub(crate) const fn quantize_real(real: i32, scale: f32) -> i32 {
    let Some((significand, exponent)) = decompose(scale) else { return 0 };
    if real == 0 {
        return 0;
    }
    let (kept, exponent) = divide_rounded(real.unsigned_abs() as u128, significand as u128, -exponent, 24);
    let magnitude: u128 = if exponent >= 0 {
        if exponent > 32 { u128::MAX } else { kept << exponent }
    } else if exponent < -100 {
        0
    } else {
        (kept + (1 << (-exponent - 1))) >> -exponent
    };
    let limit = if real < 0 { 1u128 << 31 } else { i32::MAX as u128 };
    let magnitude = if magnitude > limit { limit } else { magnitude };
    if real < 0 { (magnitude as i64).wrapping_neg() as i32 } else { magnitude as i32 }
}

/// TFLite's `QuantizeMultiplier` on the `f64` `significand · 2^exponent`
/// (a 53-bit significand), for the double-rounding form or, with
/// `single_rounding`, the single-rounding one (whose shift saturates at 30).
/// `None` if the multiplier needs a left shift past 30, which the
/// double-rounding product cannot make.
const fn quantize_multiplier(significand: u128, exponent: i32, single_rounding: bool) -> Option<QuantizedMultiplier> {
    if significand == 0 {
        return Some(QuantizedMultiplier { multiplier: 0, shift: 0 });
    }
    // frexp: value = fraction · 2^shift with the fraction in [0.5, 1), the
    // fraction being significand / 2^53; fraction · 2^31 rounds half away
    // from zero, that is significand / 2^22 rounded up at the half.
    let mut shift = exponent + 53;
    let mut fixed = (significand + (1 << 21)) >> 22;
    if fixed == 1 << 31 {
        fixed /= 2;
        shift += 1;
    }
    if shift < -31 {
        return Some(QuantizedMultiplier { multiplier: 0, shift: 0 });
    }
    if shift > 30 {
        if single_rounding {
            return Some(QuantizedMultiplier { multiplier: i32::MAX, shift: 30 });
        }
        return None;
    }
    Some(QuantizedMultiplier { multiplier: fixed as i32, shift })
}

/// The multiplier of a per-tensor layer: `f64(f32(s_x · s_w)) / f64(s_y)`,
/// quantized. `None` if a scale is not positive and finite, or the product
/// or the multiplier falls outside what TFLite can represent.
pub const fn per_tensor(
    input_scale: f32,
    weight_scale: f32,
    output_scale: f32,
    single_rounding: bool,
) -> Option<QuantizedMultiplier> {
    let (Some((x, x_exp)), Some((w, w_exp)), Some((y, y_exp))) =
        (decompose(input_scale), decompose(weight_scale), decompose(output_scale))
    else {
        return None;
    };
    let Some((product, product_exp)) = round_to_f32(x as u128 * w as u128, x_exp + w_exp) else {
        return None;
    };
    if product == 0 {
        return quantize_multiplier(0, 0, single_rounding);
    }
    let (quotient, quotient_exp) = divide_to_f64(product, y as u128, product_exp - y_exp);
    quantize_multiplier(quotient, quotient_exp, single_rounding)
}

/// The multiplier of one output channel: `f64(s_x) · f64(s_w) / f64(s_y)`,
/// quantized (the product of two `f32` is exact in `f64`). `None` as for
/// [`per_tensor`].
pub const fn per_channel(
    input_scale: f32,
    weight_scale: f32,
    output_scale: f32,
    single_rounding: bool,
) -> Option<QuantizedMultiplier> {
    let (Some((x, x_exp)), Some((w, w_exp)), Some((y, y_exp))) =
        (decompose(input_scale), decompose(weight_scale), decompose(output_scale))
    else {
        return None;
    };
    let (quotient, quotient_exp) = divide_to_f64(x as u128 * w as u128, y as u128, x_exp + w_exp - y_exp);
    quantize_multiplier(quotient, quotient_exp, single_rounding)
}

#[cfg(all(test, any(target_arch = "x86_64", target_arch = "aarch64")))]
mod tests {
    //! The oracle is the FPU itself, on targets whose `f64` arithmetic is
    //! IEEE binary64 with one rounding per operation (x86-64's SSE2,
    //! aarch64), running TFLite's steps as written in C.
    use super::*;
    extern crate std;

    fn round_half_away(value: f64) -> f64 {
        let floor = value.floor();
        if value - floor >= 0.5 { floor + 1.0 } else { floor }
    }

    fn frexp(value: f64) -> (f64, i32) {
        let bits = value.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as i32;
        assert!(exponent != 0, "the tests' multipliers are normal");
        let fraction = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
        (fraction, exponent - 1022)
    }

    fn fpu_quantize(real: f64, single_rounding: bool) -> Option<QuantizedMultiplier> {
        if real == 0.0 {
            return Some(QuantizedMultiplier { multiplier: 0, shift: 0 });
        }
        let (fraction, mut shift) = frexp(real);
        let mut fixed = round_half_away(fraction * (1u64 << 31) as f64) as i64;
        if fixed == 1 << 31 {
            fixed /= 2;
            shift += 1;
        }
        if shift < -31 {
            return Some(QuantizedMultiplier { multiplier: 0, shift: 0 });
        }
        if shift > 30 {
            return single_rounding.then_some(QuantizedMultiplier { multiplier: i32::MAX, shift: 30 });
        }
        Some(QuantizedMultiplier { multiplier: fixed as i32, shift })
    }

    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            self.0 >> 11
        }
        /// A positive scale spread over `2^low ..= 2^high`, every bit random.
        fn scale(&mut self, low: i32, high: i32) -> f32 {
            let span = (high - low) as u64 + 1;
            let exponent = low + (self.next() % span) as i32;
            let fraction = (self.next() as u32) & 0x7f_ffff;
            f32::from_bits(((exponent + 127) as u32) << 23 | fraction)
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "a sweep of many cases, too slow under Miri")]
    fn per_tensor_matches_the_fpu_doing_tflites_steps() {
        let mut rng = Lcg(1);
        for case in 0..200_000 {
            let (x, w, y) = if case % 2 == 0 {
                (rng.scale(-12, 0), rng.scale(-12, 0), rng.scale(-12, 2))
            } else {
                (rng.scale(-60, 60), rng.scale(-60, 60), rng.scale(-60, 60))
            };
            let product = x * w;
            let expected =
                if !product.is_finite() { None } else { fpu_quantize(f64::from(product) / f64::from(y), false) };
            assert_eq!(per_tensor(x, w, y, false), expected, "scales {x:e} {w:e} {y:e}");
        }
    }

    #[test]
    fn per_tensor_rounds_the_f32_product_ties_to_even() {
        // Significands 2^23 + a and 2^23 + b multiply to 2^46 + (a + b)·2^23
        // + a·b: with a·b = 2^22 the product sits exactly halfway between two
        // f32 values, and whether it rounds up depends on the kept bit.
        let mut rng = Lcg(4);
        let mut ties = 0;
        for i in 0..23 {
            for j in 0..23 {
                for (da, db) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let a = (1u32 << i) + da;
                    let b = (1u32 << j) + db;
                    let x = f32::from_bits((127 - 3) << 23 | a);
                    let w = f32::from_bits((127 - 5) << 23 | b);
                    let y = rng.scale(-8, 0);
                    ties += usize::from(u64::from(a) * u64::from(b) == 1 << 22);
                    let expected = fpu_quantize(f64::from(x * w) / f64::from(y), false);
                    assert_eq!(per_tensor(x, w, y, false), expected, "scales {x:e} {w:e} {y:e}");
                }
            }
        }
        assert!(ties >= 20, "only {ties} exact ties");
    }

    #[test]
    #[cfg_attr(miri, ignore = "a sweep of many cases, too slow under Miri")]
    fn per_channel_matches_the_fpu_doing_tflites_steps() {
        let mut rng = Lcg(2);
        for case in 0..200_000 {
            let (x, w, y) = if case % 2 == 0 {
                (rng.scale(-12, 0), rng.scale(-12, 0), rng.scale(-12, 2))
            } else {
                (rng.scale(-60, 60), rng.scale(-60, 60), rng.scale(-60, 60))
            };
            let expected = fpu_quantize(f64::from(x) * f64::from(w) / f64::from(y), false);
            assert_eq!(per_channel(x, w, y, false), expected, "scales {x:e} {w:e} {y:e}");
            let single = fpu_quantize(f64::from(x) * f64::from(w) / f64::from(y), true);
            assert_eq!(per_channel(x, w, y, true), single, "scales {x:e} {w:e} {y:e}");
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "a sweep of many cases, too slow under Miri")]
    fn the_two_paths_round_differently_on_some_scales() {
        // The point of keeping both: for some scales the f32 product's
        // rounding moves the multiplier's last bit.
        let mut rng = Lcg(3);
        let differ = (0..100_000)
            .filter(|_| {
                let (x, w, y) = (rng.scale(-10, -1), rng.scale(-10, -1), rng.scale(-8, 0));
                per_tensor(x, w, y, false) != per_channel(x, w, y, false)
            })
            .count();
        assert!(differ > 1000, "only {differ} of 100000 differ");
    }

    #[test]
    #[cfg_attr(miri, ignore = "a sweep of many cases, too slow under Miri")]
    fn activation_bounds_quantize_as_the_fpu_does() {
        let mut rng = Lcg(5);
        for _ in 0..200_000 {
            let scale = rng.scale(-20, 4);
            for real in [-1, 1, 6] {
                let expected = libm::roundf(real as f32 / scale);
                let expected = if expected >= 2147483648.0 {
                    i32::MAX
                } else if expected < -2147483648.0 {
                    i32::MIN
                } else {
                    expected as i32
                };
                assert_eq!(quantize_real(real, scale), expected, "{real} / {scale:e}");
            }
        }
        // Quotients that are exact halves: 6 / 4 = 1.5 → 2, -1 / 2 = -0.5 → -1.
        assert_eq!(quantize_real(6, 4.0), 2);
        assert_eq!(quantize_real(-1, 2.0), -1);
        assert_eq!(quantize_real(1, 2.0), 1);
        assert_eq!(quantize_real(6, f32::from_bits(1)), i32::MAX);
    }

    #[test]
    fn edge_scales() {
        // Subnormal and tiny products: the f32 product underflows to zero or
        // to a subnormal; the per-channel product stays exact.
        let tiny = f32::from_bits(1);
        assert_eq!(per_tensor(tiny, tiny, 1.0, false), Some(QuantizedMultiplier { multiplier: 0, shift: 0 }));
        assert_eq!(
            per_tensor(1e-20, 1e-20, 1e-30, false),
            fpu_quantize(f64::from(1e-20f32 * 1e-20f32) / f64::from(1e-30f32), false)
        );
        // A product past f32::MAX is refused per tensor.
        assert_eq!(per_tensor(1e30, 1e30, 1e30, false), None);
        // A multiplier of exactly 1, and just below a power of two where
        // rounding to 31 bits carries into the next power.
        assert_eq!(per_channel(0.5, 2.0, 1.0, false), Some(QuantizedMultiplier { multiplier: 1 << 30, shift: 1 }));
        let below_one = f32::from_bits(1.0f32.to_bits() - 1);
        assert_eq!(per_channel(below_one, 1.0, 1.0, false), fpu_quantize(f64::from(below_one), false));
        // Not positive and finite: refused.
        for bad in [0.0, -1.0, f32::INFINITY, f32::NAN] {
            assert_eq!(per_tensor(bad, 1.0, 1.0, false), None);
            assert_eq!(per_channel(1.0, bad, 1.0, false), None);
            assert_eq!(per_channel(1.0, 1.0, bad, false), None);
        }
        // Multipliers past 2^30 need a shift past 30.
        assert_eq!(per_channel(1.0, 1.0, 1e-12, false), None);
        assert_eq!(per_channel(1.0, 1.0, 1e-12, true), Some(QuantizedMultiplier { multiplier: i32::MAX, shift: 30 }));
    }
}
