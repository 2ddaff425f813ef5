//! Any bytes given to the .tflite reader: an error or a model, never a
//! panic, and a model's every layer reads, writes its bytes and converts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tinylinear::quant::{QLinear, TfliteModel};

fuzz_target!(|data: &[u8]| {
    let Ok(model) = TfliteModel::parse(data) else { return };
    for i in 0..model.layer_count() {
        let layer = model.layer(i).expect("parse has read every layer once");
        let mut bytes = vec![0u8; layer.byte_len()];
        let written = layer.write_le_bytes(&mut bytes);
        // Shapes of the seed models; any other shape is refused, not misread.
        let _ = layer.to_qlinear::<16, 24>();
        let _ = layer.to_qlinear::<13, 7>();
        if written.is_ok() {
            let _ = QLinear::<16, 24>::from_le_bytes(&bytes);
            let _ = QLinear::<13, 7>::from_le_bytes(&bytes);
        }
    }
});
