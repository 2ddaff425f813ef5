//! int8 inference, bit for bit as TensorFlow Lite Micro's FULLY_CONNECTED.
//!
//! A [`QLinear`] is built from the numbers a `.tflite` file stores for one
//! op: int8 weights in TFLite's `d_out × d_in` layout, an int32 bias, and
//! [`QuantParams`] (scales, zero points, activation bounds). Its forward
//! computes, for each output channel `j`,
//!
//! ```text
//! acc_j = b_j + Σ_k (x_k − z_x) · W[j][k]                  (int32, wrapping)
//! y_j   = clamp(requantize(acc_j, M_j) + z_y, act_min, act_max)
//! ```
//!
//! where `M_j = s_x · s_w / s_y` is held, as TFLite holds it, as a Q31
//! significand and a power-of-two shift, formed from the float scales
//! exactly as TFLite forms it (per tensor and per channel differ in the last
//! bit), and requantization rounds as TFLite's default (or, for models built
//! with `TFLITE_SINGLE_ROUNDING`, its single-rounding form).

mod bytes;
mod fixed_point;
mod flatbuffer;
mod layer;
mod multiplier;
mod network;
mod params;
mod ptq;
mod tflite;
mod tflite_operators;

pub use layer::QLinear;
pub use network::{QChain, QNetwork, QPingPong};
pub use params::{QuantParams, WeightScales};
pub use ptq::{Calibration, WeightQuantization};
pub use tflite::{FusedActivation, TfliteLayer, TfliteModel};

/// TFLite's QUANTIZE of f32 values to int8:
/// `clamp(round(x / scale) + zero_point, -128, 127)`, the quotient rounded to
/// `f32` and then to a whole number with ties away from zero. NaN gives the
/// zero point (in C it is undefined); ±∞ saturate.
///
/// # Examples
///
/// ```
/// use tinylinear::quant::quantize;
/// assert_eq!(quantize(&[0.25, -1.0, 100.0], 0.1, 3), [6, -7, 127]);
/// ```
#[must_use]
pub fn quantize<const N: usize>(x: &[f32; N], scale: f32, zero_point: i32) -> [i8; N] {
    x.map(|value| {
        let rounded = libm::roundf(value / scale) as i32;
        rounded.saturating_add(zero_point).clamp(i32::from(i8::MIN), i32::from(i8::MAX)) as i8
    })
}

/// TFLite's DEQUANTIZE of int8 values to f32: `scale · (q − zero_point)`,
/// formed exactly in `f64` and rounded once to `f32`.
///
/// # Examples
///
/// ```
/// use tinylinear::quant::dequantize;
/// assert_eq!(dequantize(&[6, -7, 127], 0.5, 3), [1.5, -5.0, 62.0]);
/// ```
#[must_use]
pub fn dequantize<const N: usize>(q: &[i8; N], scale: f32, zero_point: i32) -> [f32; N] {
    // A 24-bit scale times a difference of at most 9 bits is exact in f64.
    q.map(|value| (f64::from(scale) * f64::from(i32::from(value) - zero_point)) as f32)
}
