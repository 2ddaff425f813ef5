//! int8 inference, bit-exact with TensorFlow Lite Micro's FULLY_CONNECTED.

mod fixed_point;
mod multiplier;
