//! The finite-difference test of `docs/linear-layer.md`: does the analytic gradient
//! predict how the loss moves when one number moves?
//!
//! For a loss `L = ½ Σ (Y − target)²` (computed in `f64`, so `dY = Y − target`),
//! each checked entry θ of W, b or X is nudged both ways and
//!
//! ```text
//! g_num = (L(θ + ε) − L(θ − ε)) / ((θ + ε) − (θ − ε))
//! rel   = |g_ana − g_num| / max(|g_ana|, |g_num|, TINY)
//! ```
//!
//! Two details keep the numbers honest. The denominator uses the two
//! perturbed values as they were actually stored in `T` (rounding `θ ± ε`
//! to `f32` moves them); in f64 it is `2ε` to the last bit or so. And the
//! numerator is summed term by term, `½ Σ (y⁺ − y⁻)(y⁺ + y⁻ − 2t)`, which is
//! the same difference without subtracting two large, nearly equal losses.
//!
//! Thresholds, from `docs/linear-layer.md`: in f64 with ε = 1e-5,
//! `rel < 1e-7` means the gradient is right and `rel ≈ 1e-2` or worse means
//! a bug (a sign error, a missing batch sum, a transpose). f32 rounding in
//! the forward pass swamps small differences, so an f32 check needs a
//! larger ε ([`Settings::F32`]) and the looser bound given there,
//! `rel < 1e-2`; the f64 check is the one that proves the math.
//!
//! Everything here is `no_std`: the check can run on the device itself.
//!
//! # Examples
//!
//! ```
//! use tinylinear::gradcheck::{check_linear, Settings};
//! use tinylinear::Linear;
//!
//! let layer = Linear::<3, 2, f64>::torch_init(1);
//! let x = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]];
//! let target = [[1.0, 0.0], [0.0, 1.0]];
//! let report = check_linear(&layer, &x, &target, Settings::F64, |l, x, dy, dx, g| {
//!     l.backward_overwrite(x, dy, dx, g)
//! });
//! assert!(report.max_relative_error() < 1e-7, "{report}");
//! ```

use crate::element::Element;
use crate::layer::{Grads, Linear};
use core::fmt;

/// The floor of the relative error's denominator, so that two zero
/// gradients agree instead of dividing by zero.
pub const TINY: f64 = 1e-300;

/// `|analytic − numeric| / max(|analytic|, |numeric|, TINY)`.
///
/// # Examples
///
/// ```
/// use tinylinear::gradcheck::relative_error;
/// assert_eq!(relative_error(2.0, 1.0), 0.5);
/// assert_eq!(relative_error(0.0, 0.0), 0.0);
/// ```
#[must_use]
pub fn relative_error(analytic: f64, numeric: f64) -> f64 {
    let scale = analytic.abs().max(numeric.abs()).max(TINY);
    (analytic - numeric).abs() / scale
}

/// The central difference of `loss` at θ: `(L(θ+ε) − L(θ−ε)) / (2ε)`,
/// where `2ε` is the gap between the two perturbed values as stored in `T`.
///
/// # Examples
///
/// ```
/// use tinylinear::gradcheck::central_difference;
/// let slope = central_difference(3.0f64, 1e-5, |t| t * t);
/// assert!((slope - 6.0).abs() < 1e-8);
/// ```
#[must_use]
pub fn central_difference<T: Element>(theta: T, epsilon: f64, mut loss: impl FnMut(T) -> f64) -> f64 {
    let (up, down) = nudged(theta, epsilon);
    (loss(up) - loss(down)) / (up.to_f64() - down.to_f64())
}

/// `θ + ε` and `θ − ε`, each rounded to `T` as it will be stored.
fn nudged<T: Element>(theta: T, epsilon: f64) -> (T, T) {
    (T::from_f64(theta.to_f64() + epsilon), T::from_f64(theta.to_f64() - epsilon))
}

/// How a check perturbs entries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// The perturbation ε.
    pub epsilon: f64,
    /// Check every `stride`-th entry of each tensor (1 = all of them; 0
    /// counts as 1).
    pub stride: usize,
}

impl Settings {
    /// The double-precision setting of `docs/linear-layer.md`: ε = 1e-5, every entry.
    pub const F64: Self = Self { epsilon: 1e-5, stride: 1 };
    /// A single-precision setting: ε = 0.1, every entry. The loss is exactly
    /// quadratic in any one entry, so a central difference has no truncation
    /// error at any ε, and a large ε lifts the loss change above f32
    /// rounding noise (at ε = 1e-2, the larger f32 step that
    /// `docs/linear-layer.md` gives, that noise reaches rel ≈ 5e-2 on
    /// gradients near zero; at 0.1 it stays below 5e-3).
    pub const F32: Self = Self { epsilon: 1e-1, stride: 1 };

    /// The same setting, checking only every `stride`-th entry.
    #[must_use]
    pub const fn every(self, stride: usize) -> Self {
        Self { stride, ..self }
    }
}

/// The worst entry of one tensor.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Worst {
    /// The largest relative error seen.
    pub relative_error: f64,
    /// Its flat (row-major) index in the tensor.
    pub index: usize,
    /// The analytic gradient there.
    pub analytic: f64,
    /// The finite-difference gradient there.
    pub numeric: f64,
    /// How many entries of this tensor were checked.
    pub checked: usize,
}

/// The outcome of a layer check: the worst entry of W, b and X.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Report {
    /// Entries of the weight gradient dW.
    pub weight: Worst,
    /// Entries of the bias gradient db.
    pub bias: Worst,
    /// Entries of the input gradient dX.
    pub input: Worst,
}

impl Report {
    /// The largest relative error over W, b and X.
    #[must_use]
    ///
    /// NaN if any entry's error is NaN (a NaN gradient is never "small").
    pub fn max_relative_error(&self) -> f64 {
        let errors = [self.weight.relative_error, self.bias.relative_error, self.input.relative_error];
        errors.into_iter().fold(0.0, |worst, e| if worst.is_nan() || e.is_nan() { f64::NAN } else { worst.max(e) })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, worst) in [("dW", &self.weight), ("db", &self.bias), ("dX", &self.input)] {
            writeln!(
                f,
                "{name}: max relative error {:.3e} over {} entries (at {}: analytic {:.9e}, numeric {:.9e})",
                worst.relative_error, worst.checked, worst.index, worst.analytic, worst.numeric
            )?;
        }
        Ok(())
    }
}

/// `½ Σ (y − target)²`, accumulated in `f64`.
#[must_use]
pub fn half_squared_error<T: Element, const DOUT: usize>(y: &[[T; DOUT]], target: &[[T; DOUT]]) -> f64 {
    let mut sum = 0.0;
    for (y_row, t_row) in y.iter().zip(target) {
        for (&y_j, &t_j) in y_row.iter().zip(t_row) {
            let diff = y_j.to_f64() - t_j.to_f64();
            sum += diff * diff;
        }
    }
    0.5 * sum
}

/// Checks a backward pass of `layer` at input `x` against central differences.
///
/// `backward` is called once with `dY = Y − target` and must write dX and
/// the gradients into the zeroed `Grads` it is given: pass the layer's own
/// (`|l, x, dy, dx, g| l.backward_overwrite(x, dy, dx, g)`) to check it, or a
/// deliberately broken one to see the check fail. The perturbed losses use
/// the layer's `forward`.
pub fn check_linear<T: Element, const DIN: usize, const DOUT: usize, const B: usize>(
    layer: &Linear<DIN, DOUT, T>,
    x: &[[T; DIN]; B],
    target: &[[T; DOUT]; B],
    settings: Settings,
    backward: impl FnOnce(
        &Linear<DIN, DOUT, T>,
        &[[T; DIN]; B],
        &[[T; DOUT]; B],
        &mut [[T; DIN]; B],
        &mut Grads<DIN, DOUT, T>,
    ),
) -> Report {
    let mut y = [[T::ZERO; DOUT]; B];
    layer.forward(x, &mut y);
    let mut dy = [[T::ZERO; DOUT]; B];
    for ((dy_row, y_row), t_row) in dy.iter_mut().zip(&y).zip(target) {
        for ((dy_j, &y_j), &t_j) in dy_row.iter_mut().zip(y_row).zip(t_row) {
            *dy_j = y_j - t_j;
        }
    }
    let mut dx = [[T::ZERO; DIN]; B];
    let mut grads = Grads::zeroed();
    backward(layer, x, &dy, &mut dx, &mut grads);

    let mut probe = layer.clone();
    let weight =
        worst_entry(layer.weight.as_flattened(), grads.weight.as_flattened(), target, settings, |at, value, y| {
            probe.weight.as_flattened_mut()[at] = value;
            probe.forward(x, y);
            probe.weight.as_flattened_mut()[at] = layer.weight.as_flattened()[at];
        });
    let bias = worst_entry(&layer.bias, &grads.bias, target, settings, |at, value, y| {
        probe.bias[at] = value;
        probe.forward(x, y);
        probe.bias[at] = layer.bias[at];
    });
    let mut probe_x = *x;
    let input = worst_entry(x.as_flattened(), dx.as_flattened(), target, settings, |at, value, y| {
        probe_x.as_flattened_mut()[at] = value;
        layer.forward(&probe_x, y);
        probe_x.as_flattened_mut()[at] = x.as_flattened()[at];
    });
    Report { weight, bias, input }
}

/// `L(Y⁺) − L(Y⁻)` for `L = ½ Σ (Y − target)²`, summed term by term as
/// `½ Σ (y⁺ − y⁻)(y⁺ + y⁻ − 2t)`.
///
/// Mathematically the same difference; numerically far better, because it
/// never subtracts two large losses that agree in most of their digits
/// (in f64 that cancellation alone costs ~1e-5 relative error on the
/// worked example, 32 × 128 × 64).
fn loss_change<T: Element, const DOUT: usize>(y_up: &[[T; DOUT]], y_down: &[[T; DOUT]], target: &[[T; DOUT]]) -> f64 {
    let mut change = 0.0;
    for ((up_row, down_row), t_row) in y_up.iter().zip(y_down).zip(target) {
        for ((&up, &down), &t) in up_row.iter().zip(down_row).zip(t_row) {
            let (up, down, t) = (up.to_f64(), down.to_f64(), t.to_f64());
            change += 0.5 * (up - down) * (up + down - 2.0 * t);
        }
    }
    change
}

/// Central differences of every `stride`-th entry of `values` against
/// `analytic`; `forward_at(index, value, y)` writes into `y` the layer's
/// output with that one entry replaced.
fn worst_entry<T: Element, const DOUT: usize, const B: usize>(
    values: &[T],
    analytic: &[T],
    target: &[[T; DOUT]; B],
    settings: Settings,
    mut forward_at: impl FnMut(usize, T, &mut [[T; DOUT]; B]),
) -> Worst {
    let mut y_up = [[T::ZERO; DOUT]; B];
    let mut y_down = [[T::ZERO; DOUT]; B];
    let mut worst = Worst::default();
    for at in (0..values.len()).step_by(settings.stride.max(1)) {
        let (up, down) = nudged(values[at], settings.epsilon);
        forward_at(at, up, &mut y_up);
        forward_at(at, down, &mut y_down);
        let numeric = loss_change(&y_up, &y_down, target) / (up.to_f64() - down.to_f64());
        let analytic = analytic[at].to_f64();
        let relative_error = relative_error(analytic, numeric);
        // A NaN error is the worst there is: report it, and keep it once seen.
        let worse = worst.checked == 0
            || (!worst.relative_error.is_nan() && (relative_error.is_nan() || relative_error > worst.relative_error));
        if worse {
            worst = Worst { relative_error, index: at, analytic, numeric, checked: worst.checked };
        }
        worst.checked += 1;
    }
    worst
}
