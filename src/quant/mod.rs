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

mod fixed_point;
mod flatbuffer;
mod layer;
mod multiplier;
mod params;
mod tflite;
mod tflite_operators;

pub use layer::QLinear;
pub use params::{QuantParams, WeightScales};
pub use tflite::{FusedActivation, TfliteLayer, TfliteModel};
