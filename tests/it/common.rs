//! Test support: an independent f64 oracle, error bounds, and seeded data.
//!
//! The oracle works on flat `Vec<f64>`s with run-time dimensions and shares
//! no code with the crate, so a bug in the crate's loops cannot hide in it.
#![allow(dead_code)] // each test file uses a different part

use rand_core::Rng as _;
use rand_pcg::Pcg32;
use tinylinear::Element;

/// Seeded test data: uniform values, with zeros, ±1 and large magnitudes mixed in.
pub struct Data(Pcg32);

impl Data {
    pub fn new(seed: u64) -> Self {
        Self(Pcg32::new(seed, 0xda7a))
    }

    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }

    /// A value for kernel tests: mostly uniform, sometimes 0, ±1 or large.
    pub fn mixed(&mut self) -> f64 {
        match self.0.next_u32() % 16 {
            0 => 0.0,
            1 => 1.0,
            2 => -1.0,
            3 => self.unit() * 1.0e4,
            _ => self.unit(),
        }
    }

    /// An array of uniform values.
    pub fn array<T: Element, const N: usize>(&mut self) -> [T; N] {
        core::array::from_fn(|_| T::from_f64(self.unit()))
    }

    /// A matrix of uniform values.
    pub fn matrix<T: Element, const R: usize, const C: usize>(&mut self) -> [[T; C]; R] {
        core::array::from_fn(|_| self.array())
    }

    /// `rows` rows of mixed values.
    pub fn mixed_rows<T: Element, const C: usize>(&mut self, rows: usize) -> Vec<[T; C]> {
        (0..rows).map(|_| core::array::from_fn(|_| T::from_f64(self.mixed()))).collect()
    }
}

/// Widens rows of `T` to one flat row-major `Vec<f64>`.
pub fn flat<T: Element, const C: usize>(rows: &[[T; C]]) -> Vec<f64> {
    rows.iter().flatten().map(|v| v.to_f64()).collect()
}

/// An exact-ish result with the scale its rounding error is measured against.
pub struct Expected {
    /// The value computed in f64 from the same inputs.
    pub value: Vec<f64>,
    /// Σ |terms| of each sum: rounding error in `T` is bounded by a multiple of it.
    pub scale: Vec<f64>,
    /// Terms per sum, for the bound's `n`.
    pub terms: usize,
}

/// `Y = X·W + b` in f64. `x`: batch × din, `w`: din × dout, `b`: dout.
pub fn forward(x: &[f64], w: &[f64], b: Option<&[f64]>, batch: usize, din: usize, dout: usize) -> Expected {
    let mut value = vec![0.0; batch * dout];
    let mut scale = vec![0.0; batch * dout];
    for r in 0..batch {
        for j in 0..dout {
            let bias = b.map_or(0.0, |b| b[j]);
            let (mut sum, mut abs) = (bias, bias.abs());
            for k in 0..din {
                let term = x[r * din + k] * w[k * dout + j];
                sum += term;
                abs += term.abs();
            }
            value[r * dout + j] = sum;
            scale[r * dout + j] = abs;
        }
    }
    Expected { value, scale, terms: din + 1 }
}

/// `dX = dY·Wᵀ` in f64. `dy`: batch × dout, `w`: din × dout.
pub fn backward_input(dy: &[f64], w: &[f64], batch: usize, din: usize, dout: usize) -> Expected {
    let mut value = vec![0.0; batch * din];
    let mut scale = vec![0.0; batch * din];
    for r in 0..batch {
        for i in 0..din {
            let (mut sum, mut abs) = (0.0, 0.0);
            for j in 0..dout {
                let term = dy[r * dout + j] * w[i * dout + j];
                sum += term;
                abs += term.abs();
            }
            value[r * din + i] = sum;
            scale[r * din + i] = abs;
        }
    }
    Expected { value, scale, terms: dout }
}

/// `dW = Xᵀ·dY` in f64, plus `old` when accumulating.
pub fn backward_weight(x: &[f64], dy: &[f64], old: Option<&[f64]>, batch: usize, din: usize, dout: usize) -> Expected {
    let mut value = vec![0.0; din * dout];
    let mut scale = vec![0.0; din * dout];
    for i in 0..din {
        for j in 0..dout {
            let start = old.map_or(0.0, |old| old[i * dout + j]);
            let (mut sum, mut abs) = (start, start.abs());
            for r in 0..batch {
                let term = x[r * din + i] * dy[r * dout + j];
                sum += term;
                abs += term.abs();
            }
            value[i * dout + j] = sum;
            scale[i * dout + j] = abs;
        }
    }
    Expected { value, scale, terms: batch + 1 }
}

/// `db = Σ_r dY[r][..]` in f64 (axis 0), plus `old` when accumulating.
pub fn backward_bias(dy: &[f64], old: Option<&[f64]>, batch: usize, dout: usize) -> Expected {
    let mut value = old.map_or_else(|| vec![0.0; dout], <[f64]>::to_vec);
    let mut scale: Vec<f64> = value.iter().map(|v| v.abs()).collect();
    for r in 0..batch {
        for j in 0..dout {
            value[j] += dy[r * dout + j];
            scale[j] += dy[r * dout + j].abs();
        }
    }
    Expected { value, scale, terms: batch + 1 }
}

/// Asserts `got` (computed in `T`) is within the worst-case rounding bound
/// of a sum of `terms` products in any order, fused or not:
/// `|got − exact| ≤ n·ε·Σ|terms|` (twice the classic `γ_n` bound, for slack),
/// with NaN expected exactly where the f64 result is NaN and ∞ matched in sign.
pub fn assert_close<T: Element>(what: &str, got: &[T], expected: &Expected) {
    assert_eq!(got.len(), expected.value.len(), "{what}: length");
    let eps = T::EPSILON.to_f64();
    for (at, ((&got, &exact), &scale)) in got.iter().zip(&expected.value).zip(&expected.scale).enumerate() {
        let got = got.to_f64();
        if exact.is_nan() {
            assert!(got.is_nan(), "{what}[{at}]: expected NaN, got {got}");
            continue;
        }
        if exact.is_infinite() {
            assert_eq!(got, exact, "{what}[{at}]: expected {exact}");
            continue;
        }
        let bound = expected.terms as f64 * eps * scale + f64::MIN_POSITIVE;
        assert!(
            (got - exact).abs() <= bound,
            "{what}[{at}]: got {got:e}, f64 oracle {exact:e}, |diff| {:e} > bound {bound:e}",
            (got - exact).abs()
        );
    }
}
