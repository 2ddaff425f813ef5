//! The demo classifier, shared by the firmware and by the host test that
//! computes what the firmware must print (`tests/it/firmware_model.rs` in the
//! main crate includes this file with `#[path]`).
//!
//! 4 inputs → 16 → ReLU → 16 → ReLU → 3 class scores, trained on the host by
//! `cargo run --example write_weights -- demo examples/firmware/model`. The
//! weights are baked from those files at compile time, so they sit in flash.

use tinylinear::Linear;

/// Inputs per sample.
pub const IN: usize = 4;
/// Width of both hidden layers.
pub const HIDDEN: usize = 16;
/// Classes: the output width.
pub const CLASSES: usize = 3;
/// Samples in the fixed test set.
pub const SAMPLES: usize = 12;

/// The first layer.
pub type First = Linear<IN, HIDDEN>;
/// The second layer.
pub type Second = Linear<HIDDEN, HIDDEN>;
/// The last layer: fine-tuned on the device.
pub type Head = Linear<HIDDEN, CLASSES>;

/// The first layer, in flash.
pub static L1: First = First::from_le_bytes_baked(include_bytes!("../model/l1.bin"));
/// The second layer, in flash.
pub static L2: Second = Second::from_le_bytes_baked(include_bytes!("../model/l2.bin"));
/// The last layer as trained, in flash (the device fine-tunes a copy in RAM).
pub static L3: Head = Head::from_le_bytes_baked(include_bytes!("../model/l3.bin"));

/// The fixed test set: points near the three class centres, some of them
/// far enough off to be hard.
pub static INPUTS: [[f32; IN]; SAMPLES] = [
    [0.9, 0.15, -0.1, 0.4],
    [0.1, 0.8, 0.2, -0.6],
    [-0.2, 0.1, 1.1, 0.1],
    [1.2, -0.25, 0.2, 0.7],
    [0.3, 1.3, -0.2, -0.3],
    [0.1, -0.1, 0.7, -0.2],
    [0.6, 0.4, 0.1, 0.1],
    [0.4, 0.5, 0.3, -0.1],
    [0.2, 0.3, 0.6, 0.3],
    [0.8, 0.2, 0.3, 0.5],
    [-0.1, 0.9, 0.1, -0.4],
    [0.3, 0.35, 0.4, 0.1],
];

/// The true class of each test sample (the centre it was drawn near).
pub static LABELS: [usize; SAMPLES] = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2];

/// The on-device fine-tuning step: one SGD step on the head with this rate.
pub const LEARNING_RATE: f32 = 0.5;

/// Class scores are compared as integers in units of 1/`LOGIT_SCALE`.
pub const LOGIT_SCALE: f64 = 1024.0;
/// Losses are compared as integers in units of 1/`LOSS_SCALE`.
pub const LOSS_SCALE: f64 = 10_000.0;

/// `value · scale`, rounded half away from zero (`core` has no `f64::round`).
pub fn quantise(value: f64, scale: f64) -> i64 {
    let scaled = value * scale;
    (if scaled >= 0.0 { scaled + 0.5 } else { scaled - 0.5 }) as i64
}

/// The checksum of all class scores: each quantised to 1/1024, then
/// weighted by its position so that swapped scores change it.
pub fn checksum(quantised_scores: impl Iterator<Item = i64>) -> i64 {
    quantised_scores.zip(1..).fold(0, |sum, (q, weight)| sum.wrapping_add(q.wrapping_mul(weight)))
}

/// The index of the largest score (the first one on a tie).
pub fn argmax(scores: &[f32; CLASSES]) -> usize {
    let (mut best, mut best_score) = (0, scores[0]);
    for (j, &s) in scores.iter().enumerate() {
        if s > best_score {
            (best, best_score) = (j, s);
        }
    }
    best
}
