//! The values the firmware example (`examples/firmware`) must print, computed
//! on the host, independently of the crate: the weight files are parsed here
//! by hand and the model runs in f64 loops of its own. The firmware embeds
//! `examples/firmware/src/expected.rs` and exits non-zero unless its f32
//! results equal it; `.ci/firmware` also compares its output with
//! `examples/firmware/expected-output.txt`. This test fails if either file
//! differs from what it computes; after changing the model, rewrite them with
//!
//! ```text
//! TINYLINEAR_BLESS=1 cargo test --test it firmware_model
//! ```
//!
//! Scores and losses are compared as integers (scores in 1/1024, losses in
//! 1e-4). So that f32 rounding on the device cannot flip one, the test also
//! requires every f64 value to lie at least `MARGIN` of a unit away from a
//! rounding boundary, and the best class to beat the second by a clear margin.

#[path = "../../examples/firmware/src/model.rs"]
#[allow(dead_code)]
mod model;

use std::fmt::Write as _;
use std::path::Path;

use model::{CLASSES, HIDDEN, IN, SAMPLES};

/// The least distance, in units of the last integer digit, between an f64
/// value and a rounding boundary: 1e-5 for scores, 1e-6 for losses, where
/// the f32 errors of this small model are around 1e-7.
const MARGIN: f64 = 0.01;

/// A layer as f64 matrices, read from a file without the crate.
struct Layer {
    weight: Vec<Vec<f64>>, // d_in × d_out
    bias: Vec<f64>,
}

fn read_layer(name: &str, din: usize, dout: usize) -> Layer {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/firmware/model").join(name);
    let bytes = std::fs::read(&path).unwrap();
    let word = |i: usize| u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap());
    assert_eq!(&bytes[..4], b"TLIN");
    assert_eq!([word(1), word(2), word(3), word(4)], [4, din as u32, dout as u32, dout as u32]);
    assert_eq!(bytes.len(), 20 + 4 * (din * dout + dout));
    let value = |i: usize| f64::from(f32::from_bits(word(5 + i)));
    Layer {
        weight: (0..din).map(|k| (0..dout).map(|j| value(k * dout + j)).collect()).collect(),
        bias: (0..dout).map(|j| value(din * dout + j)).collect(),
    }
}

fn forward(layer: &Layer, x: &[Vec<f64>], relu: bool) -> Vec<Vec<f64>> {
    x.iter()
        .map(|row| {
            (0..layer.bias.len())
                .map(|j| {
                    let v = layer.bias[j] + row.iter().zip(&layer.weight).map(|(x, w)| x * w[j]).sum::<f64>();
                    if relu { v.max(0.0) } else { v }
                })
                .collect()
        })
        .collect()
}

/// `½ Σ (y − onehot)² / SAMPLES` and `dY = (y − onehot) / SAMPLES`.
fn loss_and_gradient(y: &[Vec<f64>]) -> (f64, Vec<Vec<f64>>) {
    let mut loss = 0.0;
    let dy = y
        .iter()
        .zip(model::LABELS)
        .map(|(row, label)| {
            row.iter()
                .enumerate()
                .map(|(j, &v)| {
                    let error = v - if j == label { 1.0 } else { 0.0 };
                    loss += 0.5 * error * error;
                    error / SAMPLES as f64
                })
                .collect()
        })
        .collect();
    (loss / SAMPLES as f64, dy)
}

/// Quantises after checking the value is not near a rounding boundary.
fn robust_quantise(value: f64, scale: f64, what: impl std::fmt::Display) -> i64 {
    let scaled = value * scale;
    let to_boundary = (scaled - scaled.floor() - 0.5).abs();
    assert!(to_boundary >= MARGIN, "{what} = {value} is {to_boundary} units from a rounding boundary");
    model::quantise(value, scale)
}

struct Expected {
    predictions: Vec<usize>,
    checksum: i64,
    loss_before: i64,
    loss_after: i64,
}

fn compute() -> Expected {
    let (l1, l2, l3) =
        (read_layer("l1.bin", IN, HIDDEN), read_layer("l2.bin", HIDDEN, HIDDEN), read_layer("l3.bin", HIDDEN, CLASSES));
    let x: Vec<Vec<f64>> = model::INPUTS.iter().map(|r| r.iter().map(|&v| f64::from(v)).collect()).collect();
    let h2 = forward(&l2, &forward(&l1, &x, true), true);
    let y = forward(&l3, &h2, false);

    let mut predictions = Vec::new();
    for row in &y {
        let mut sorted = row.clone();
        sorted.sort_by(f64::total_cmp);
        assert!(sorted[CLASSES - 1] - sorted[CLASSES - 2] > 1e-3, "a near tie between classes: {row:?}");
        predictions.push(row.iter().position(|&v| v == sorted[CLASSES - 1]).unwrap());
    }
    let scores = y.iter().enumerate().flat_map(|(r, row)| {
        row.iter()
            .enumerate()
            .map(move |(j, &v)| robust_quantise(v, model::LOGIT_SCALE, format_args!("score {j} of sample {r}")))
    });
    let checksum = model::checksum(scores);

    // One SGD step on the head: dW = H2ᵀ·dY, db = Σ dY.
    let (before, dy) = loss_and_gradient(&y);
    let rate = f64::from(model::LEARNING_RATE);
    let mut head = l3;
    for (k, w_row) in head.weight.iter_mut().enumerate() {
        for (j, w) in w_row.iter_mut().enumerate() {
            *w -= rate * h2.iter().zip(&dy).map(|(h, d)| h[k] * d[j]).sum::<f64>();
        }
    }
    for (j, b) in head.bias.iter_mut().enumerate() {
        *b -= rate * dy.iter().map(|d| d[j]).sum::<f64>();
    }
    let (after, _) = loss_and_gradient(&forward(&head, &h2, false));
    assert!(after < before, "the fine-tuning step must lower the loss: {before} -> {after}");
    Expected {
        predictions,
        checksum,
        loss_before: robust_quantise(before, model::LOSS_SCALE, "the loss before"),
        loss_after: robust_quantise(after, model::LOSS_SCALE, "the loss after"),
    }
}

fn expected_rs(e: &Expected) -> String {
    let mut s = String::from(
        "//! Written by `TINYLINEAR_BLESS=1 cargo test --test it firmware_model` in the main\n\
         //! crate, from an f64 computation on the host. Do not edit.\n\n",
    );
    writeln!(s, "/// The class each test sample is predicted as.").unwrap();
    writeln!(s, "pub const PREDICTIONS: [usize; {SAMPLES}] = {:?};", e.predictions).unwrap();
    writeln!(s, "/// `model::checksum` of every class score, quantised to 1/1024.").unwrap();
    writeln!(s, "pub const SCORE_CHECKSUM: i64 = {};", e.checksum).unwrap();
    writeln!(s, "/// The loss before and after the fine-tuning step, in units of 1e-4.").unwrap();
    writeln!(s, "pub const LOSS_BEFORE: i64 = {};", e.loss_before).unwrap();
    writeln!(s, "/// See `LOSS_BEFORE`.").unwrap();
    writeln!(s, "pub const LOSS_AFTER: i64 = {};", e.loss_after).unwrap();
    s
}

fn expected_output(e: &Expected) -> String {
    let mut s = String::from("tinylinear on a Cortex-M4F, kernels: scalar\npredictions:");
    for p in &e.predictions {
        write!(s, " {p}").unwrap();
    }
    writeln!(s, "\nscore checksum: {}", e.checksum).unwrap();
    writeln!(s, "fine-tuning the last layer: loss x1e4 before {}, after {}", e.loss_before, e.loss_after).unwrap();
    writeln!(s, "all checks passed").unwrap();
    s
}

#[test]
fn the_firmware_expects_what_the_host_computes() {
    let expected = compute();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/firmware");
    let files = [
        (dir.join("src/expected.rs"), expected_rs(&expected)),
        (dir.join("expected-output.txt"), expected_output(&expected)),
    ];
    for (path, text) in files {
        if std::env::var_os("TINYLINEAR_BLESS").is_some() {
            std::fs::write(&path, &text).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(committed, text, "{} is stale: rerun with TINYLINEAR_BLESS=1", path.display());
    }
}

#[test]
fn the_crate_in_f32_agrees_with_the_f64_model() {
    let expected = compute();
    let mut h1 = [[0.0f32; HIDDEN]; SAMPLES];
    let mut h2 = [[0.0f32; HIDDEN]; SAMPLES];
    let mut y = [[0.0f32; CLASSES]; SAMPLES];
    model::L1.forward(&model::INPUTS, &mut h1);
    h1.iter_mut().flatten().for_each(|v| *v = v.max(0.0));
    model::L2.forward(&h1, &mut h2);
    h2.iter_mut().flatten().for_each(|v| *v = v.max(0.0));
    model::L3.forward(&h2, &mut y);
    let predictions: Vec<usize> = y.iter().map(model::argmax).collect();
    assert_eq!(predictions, expected.predictions);
    let checksum = model::checksum(y.iter().flatten().map(|&v| model::quantise(f64::from(v), model::LOGIT_SCALE)));
    assert_eq!(checksum, expected.checksum);
}

#[test]
fn the_baked_layers_equal_the_files() {
    let l3 = read_layer("l3.bin", HIDDEN, CLASSES);
    for (row, file_row) in model::L3.weight.iter().zip(&l3.weight) {
        assert_eq!(row.map(f64::from).to_vec(), *file_row);
    }
    assert_eq!(model::L3.bias.map(f64::from).to_vec(), l3.bias);
}
