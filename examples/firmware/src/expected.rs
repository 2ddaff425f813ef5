//! Written by `TINYLINEAR_BLESS=1 cargo test --test it firmware_model` in the main
//! crate, from an f64 computation on the host. Do not edit.

/// The class each test sample is predicted as.
pub const PREDICTIONS: [usize; 12] = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2];
/// `model::checksum` of every class score, quantised to 1/1024.
pub const SCORE_CHECKSUM: i64 = 223536;
/// The loss before and after the fine-tuning step, in units of 1e-4.
pub const LOSS_BEFORE: i64 = 592;
/// See `LOSS_BEFORE`.
pub const LOSS_AFTER: i64 = 580;
