//! Post-training quantization: the int8 layer TensorFlow's converter makes
//! of a trained f32 layer, from the ranges its input and output take on
//! calibration data.
//!
//! The converter's rules, which this follows:
//! - activations are asymmetric int8: a range `[min, max]`, widened to hold
//!   0, maps onto `[-128, 127]` with scale `(max − min) / 255` and zero point
//!   `round(−128 − min / scale)`;
//! - weights are symmetric, per output channel (or per tensor): scale
//!   `max |w| / 127`, values `round(w / scale)` in `[-127, 127]`;
//! - the bias is int32 at scale `s_x · s_w`: `round(b / (s_x · s_w))`.
//!
//! Rounding is to nearest, ties away from zero, throughout.

use super::QLinear;
use super::params::{QuantParams, WeightScales};
use super::tflite::FusedActivation;
use crate::{Error, Linear};

/// The range of values a tensor takes on calibration data.
///
/// # Examples
///
/// ```
/// use tinylinear::quant::Calibration;
/// let mut range = Calibration::new();
/// range.observe(&[0.5, 2.0, 1.0]);
/// range.observe(&[-0.25]);
/// assert_eq!((range.min, range.max), (-0.25, 2.0));
/// // 2.25 / 255 per step; -0.25 sits 28.3 steps above -128.
/// assert_eq!(range.quantization(), Ok((2.25 / 255.0, -100)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Calibration {
    /// The least value seen (0 if none was below it).
    pub min: f32,
    /// The greatest value seen (0 if none was above it).
    pub max: f32,
}

impl Default for Calibration {
    fn default() -> Self {
        Self::new()
    }
}

impl Calibration {
    /// A range holding only 0, as the converter's ranges always do.
    #[must_use]
    pub const fn new() -> Self {
        Self { min: 0.0, max: 0.0 }
    }

    /// Widens the range to hold `values` (NaN is ignored).
    pub fn observe(&mut self, values: &[f32]) {
        for &value in values {
            self.min = self.min.min(value);
            self.max = self.max.max(value);
        }
    }

    /// The range of every value in `rows`.
    #[must_use]
    pub fn of_rows<const N: usize>(rows: &[[f32; N]]) -> Self {
        let mut range = Self::new();
        range.observe(rows.as_flattened());
        range
    }

    /// The int8 scale and zero point of this range: `(max − min) / 255`, and
    /// the zero point that puts `min` at −128, rounded.
    ///
    /// # Errors
    ///
    /// [`Error::QuantScale`] for a range of zero width or not finite.
    pub fn quantization(&self) -> Result<(f32, i32), Error> {
        // The width rounded to f32 before the division, as on every IEEE
        // target: x87 keeps `max − min` in an 80-bit register and would round
        // the quotient only once, a last bit away from the converter's scale.
        // Passing the width through `black_box` stores it as an f32.
        let width = core::hint::black_box(self.max - self.min);
        let scale = width / 255.0;
        if !(scale > 0.0 && scale.is_finite()) {
            return Err(Error::QuantScale { tensor: "calibration range", channel: 0 });
        }
        let zero_point = libm::round(-128.0 - f64::from(self.min) / f64::from(scale));
        Ok((scale, zero_point.clamp(-128.0, 127.0) as i32))
    }
}

/// Whether the weights get one scale per output channel (the converter's
/// default for Dense layers) or one for the whole tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightQuantization {
    /// One scale for all weights.
    PerTensor,
    /// One scale per output channel.
    PerChannel,
}

/// `round(value)` to nearest, ties away from zero, kept in `[low, high]`.
fn round_within(value: f64, low: f64, high: f64) -> f64 {
    libm::round(value).clamp(low, high)
}

impl<const DIN: usize, const DOUT: usize> QLinear<DIN, DOUT> {
    /// The int8 layer TensorFlow's converter makes of `layer` with the fused
    /// `activation`, for inputs and outputs (after the activation) that
    /// ranged over `input` and `output` on calibration data.
    ///
    /// # Errors
    ///
    /// [`Error::QuantScale`] for a calibration range of zero width or a
    /// weight that is not finite, and the refusals of
    /// [`QLinear::try_from_tflite`].
    ///
    /// # Examples
    ///
    /// ```
    /// use tinylinear::Linear;
    /// use tinylinear::quant::{Calibration, FusedActivation, QLinear, WeightQuantization};
    ///
    /// let float = Linear::<2, 1>::new([[0.5], [-1.0]], [0.25]);
    /// let x = [[1.0f32, 0.5], [-1.0, 2.0], [0.0, -1.0]];
    /// let mut y = [[0.0f32; 1]; 3];
    /// float.forward(&x, &mut y);
    /// let int8 = QLinear::quantize(
    ///     &float,
    ///     Calibration::of_rows(&x),
    ///     Calibration::of_rows(&y),
    ///     FusedActivation::None,
    ///     WeightQuantization::PerChannel,
    /// )?;
    /// assert_eq!(int8.weight(), &[[64, -127]]);
    /// # Ok::<(), tinylinear::Error>(())
    /// ```
    pub fn quantize(
        layer: &Linear<DIN, DOUT, f32>,
        input: Calibration,
        output: Calibration,
        activation: FusedActivation,
        weights: WeightQuantization,
    ) -> Result<Self, Error> {
        let (input_scale, input_zero_point) = input.quantization()?;
        let (output_scale, output_zero_point) = output.quantization()?;

        // max |w| per output channel (column j of the crate's d_in × d_out W).
        let mut largest = [0.0f32; DOUT];
        for row in &layer.weight {
            for (m, &w) in largest.iter_mut().zip(row) {
                if !w.is_finite() {
                    return Err(Error::QuantScale { tensor: "weight", channel: 0 });
                }
                *m = m.max(w.abs());
            }
        }
        if weights == WeightQuantization::PerTensor {
            let all = largest.iter().fold(0.0f32, |a, &b| a.max(b));
            largest = [all; DOUT];
        }
        // An all-zero channel keeps its zeros under any scale: take 1.
        let scales = largest.map(|m| if m > 0.0 { m / 127.0 } else { 1.0 });

        let mut weight = [[0i8; DIN]; DOUT];
        for (k, row) in layer.weight.iter().enumerate() {
            for (j, &w) in row.iter().enumerate() {
                weight[j][k] = round_within(f64::from(w / scales[j]), -127.0, 127.0) as i8;
            }
        }
        let mut bias = [0i32; DOUT];
        for (j, (q, &b)) in bias.iter_mut().zip(&layer.bias).enumerate() {
            let bias_scale = f64::from(input_scale) * f64::from(scales[j]);
            *q = round_within(f64::from(b) / bias_scale, f64::from(i32::MIN), f64::from(i32::MAX)) as i32;
        }
        let (activation_min, activation_max) = activation.bounds(output_scale, output_zero_point)?;
        let weight_scales = match weights {
            WeightQuantization::PerTensor => WeightScales::PerTensor(scales[0]),
            WeightQuantization::PerChannel => WeightScales::PerChannel(scales),
        };
        let params = QuantParams {
            input_scale,
            input_zero_point,
            weight_scales,
            output_scale,
            output_zero_point,
            activation_min,
            activation_max,
        };
        QLinear::try_from_tflite(&weight, &bias, &params)
    }
}
