//! Any bytes given to the layer-file readers (int8 and f32): an error or a
//! layer, never a panic or a read out of bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tinylinear::quant::QLinear;
use tinylinear::{Linear, LinearNoBias};

fuzz_target!(|data: &[u8]| {
    let _ = QLinear::<16, 24>::from_le_bytes(data);
    let _ = QLinear::<24, 10>::from_le_bytes(data);
    let _ = QLinear::<10, 3>::from_le_bytes(data);
    let _ = Linear::<4, 16>::from_le_bytes(data);
    let _ = LinearNoBias::<4, 3, f64>::from_le_bytes(data);
});
