//! The numbers a TensorFlow Lite file stores for one int8 FULLY_CONNECTED
//! op, and their checks.

use super::fixed_point::QuantizedMultiplier;
use super::multiplier;
use crate::Error;

/// The scale of the weights: one for the whole tensor, or one per output
/// channel.
///
/// TFLite forms the two kinds' real multipliers at different precisions
/// (see [`QuantParams`]), so a weight tensor stored with a single scale is
/// `PerTensor`, even when it has a single output channel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WeightScales<const DOUT: usize> {
    /// One scale for every weight.
    PerTensor(f32),
    /// One scale per output channel (per row of TFLite's `d_out × d_in` weights).
    PerChannel([f32; DOUT]),
}

/// The quantization of one int8 FULLY_CONNECTED op, as a `.tflite` file
/// stores it: real value = scale · (quantized − zero point).
///
/// Weights are symmetric (zero point 0), as TFLite requires of int8
/// weights; the bias is int32 at scale `input_scale · weight_scale`. The
/// activation bounds carry a fused ReLU, ReLU6 or ReLU_N1_TO_1, already
/// quantized (`[-128, 127]` for none).
///
/// # Examples
///
/// ```
/// use tinylinear::quant::{QuantParams, WeightScales};
/// const P: QuantParams<2> = QuantParams {
///     input_scale: 0.05,
///     input_zero_point: -3,
///     weight_scales: WeightScales::PerChannel([0.01, 0.02]),
///     output_scale: 0.1,
///     output_zero_point: 4,
///     activation_min: -128,
///     activation_max: 127,
/// };
/// assert!(P.check().is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantParams<const DOUT: usize> {
    /// The input's scale, positive and finite.
    pub input_scale: f32,
    /// The input's zero point, in `[-128, 127]`.
    pub input_zero_point: i32,
    /// The weights' scale or scales, positive and finite.
    pub weight_scales: WeightScales<DOUT>,
    /// The output's scale, positive and finite.
    pub output_scale: f32,
    /// The output's zero point, in `[-128, 127]`.
    pub output_zero_point: i32,
    /// The lowest output (the fused activation's lower bound, quantized).
    pub activation_min: i8,
    /// The highest output; at least `activation_min`.
    pub activation_max: i8,
}

/// Which of TFLite's two requantizations a layer uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rounding {
    /// TFLite's default: the doubling high multiply, then a rounding shift.
    Double,
    /// `TFLITE_SINGLE_ROUNDING`: one 64-bit product, one rounding shift.
    Single,
}

pub(super) const fn is_positive_finite(scale: f32) -> bool {
    scale > 0.0 && scale <= f32::MAX
}

pub(super) const fn check_zero_point(tensor: &'static str, zero_point: i32) -> Result<(), Error> {
    if zero_point >= i8::MIN as i32 && zero_point <= i8::MAX as i32 {
        Ok(())
    } else {
        Err(Error::ZeroPointRange { tensor, found: zero_point })
    }
}

impl<const DOUT: usize> QuantParams<DOUT> {
    /// `Ok` if a layer can be built from these numbers.
    ///
    /// # Errors
    ///
    /// [`Error::QuantScale`] for a scale that is not positive and finite,
    /// [`Error::ZeroPointRange`] for a zero point outside int8,
    /// [`Error::ActivationRange`] for `activation_min > activation_max`, and
    /// [`Error::MultiplierRange`] when `s_x · s_w / s_y` is too large for
    /// TFLite's fixed-point multiplier (above 2^30) or the per-tensor
    /// product `s_x · s_w` overflows `f32`.
    pub const fn check(&self) -> Result<(), Error> {
        match self.multipliers(Rounding::Double) {
            Ok(_) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Every output channel's fixed-point multiplier, after the checks of
    /// [`QuantParams::check`].
    pub(crate) const fn multipliers(&self, rounding: Rounding) -> Result<[QuantizedMultiplier; DOUT], Error> {
        if !is_positive_finite(self.input_scale) {
            return Err(Error::QuantScale { tensor: "input", channel: 0 });
        }
        if !is_positive_finite(self.output_scale) {
            return Err(Error::QuantScale { tensor: "output", channel: 0 });
        }
        if let Err(error) = check_zero_point("input", self.input_zero_point) {
            return Err(error);
        }
        if let Err(error) = check_zero_point("output", self.output_zero_point) {
            return Err(error);
        }
        if self.activation_min > self.activation_max {
            return Err(Error::ActivationRange { min: self.activation_min, max: self.activation_max });
        }
        let single = matches!(rounding, Rounding::Single);
        let mut out = [QuantizedMultiplier { multiplier: 0, shift: 0 }; DOUT];
        let mut channel = 0;
        while channel < DOUT {
            let (weight_scale, per_tensor) = match self.weight_scales {
                WeightScales::PerTensor(scale) => (scale, true),
                WeightScales::PerChannel(scales) => (scales[channel], false),
            };
            if !is_positive_finite(weight_scale) {
                return Err(Error::QuantScale { tensor: "weight", channel });
            }
            let formed = if per_tensor {
                multiplier::per_tensor(self.input_scale, weight_scale, self.output_scale, single)
            } else {
                multiplier::per_channel(self.input_scale, weight_scale, self.output_scale, single)
            };
            out[channel] = match formed {
                Some(m) => m,
                None => return Err(Error::MultiplierRange { channel }),
            };
            channel += 1;
        }
        Ok(out)
    }
}
