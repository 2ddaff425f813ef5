//! The int8 layer against TensorFlow's own tools: models converted by
//! TFLiteConverter and run by LiteRT's fixed-point reference kernels
//! (`scripts/tflite-fixtures`), imported here from their `.tflite` files;
//! every output byte must match. And the reader's refusals: other
//! operators, float and hybrid layers, truncated and corrupted files.

use tinylinear::Error;
use tinylinear::quant::{FusedActivation, QLinear, TfliteModel};

macro_rules! fixture {
    ($name:literal, $ext:literal) => {
        include_bytes!(concat!("../fixtures/tflite/", $name, $ext)).as_slice()
    };
}

/// The model's int8 inputs and LiteRT's outputs, as rows.
fn rows<const W: usize>(bytes: &[u8]) -> Vec<[i8; W]> {
    assert_eq!(bytes.len() % W, 0, "whole rows of {W}");
    bytes.chunks_exact(W).map(|row| core::array::from_fn(|k| row[k] as i8)).collect()
}

fn one_layer<const DIN: usize, const DOUT: usize>(
    model: &[u8],
    input: &[u8],
    output: &[u8],
    per_channel: bool,
    bias: bool,
    activation: FusedActivation,
) {
    let model = TfliteModel::parse(model).expect("a chain of int8 FULLY_CONNECTED ops");
    assert_eq!(model.layer_count(), 1);
    let op = model.layer(0).expect("read once by parse");
    assert_eq!((op.d_in, op.d_out), (DIN, DOUT));
    assert_eq!((op.per_channel(), op.has_bias(), op.activation), (per_channel, bias, activation));
    let layer: QLinear<DIN, DOUT> = op.to_qlinear().expect("valid parameters");
    let x = rows::<DIN>(input);
    let expected = rows::<DOUT>(output);
    let mut y = vec![[0i8; DOUT]; x.len()];
    layer.forward_slice(&x, &mut y).expect("batches match");
    let wrong = y.iter().zip(&expected).filter(|(a, b)| a != b).count();
    assert_eq!(wrong, 0, "{wrong} of {} rows differ from LiteRT's; first: {:?}", x.len(), {
        let i = y.iter().zip(&expected).position(|(a, b)| a != b).unwrap_or(0);
        (i, y[i], expected[i])
    });
}

macro_rules! single_layer_test {
    ($test:ident, $name:literal, $din:literal, $dout:literal, $per_channel:expr, $bias:expr, $activation:expr) => {
        #[test]
        fn $test() {
            one_layer::<$din, $dout>(
                fixture!($name, ".tflite"),
                fixture!($name, ".input.bin"),
                fixture!($name, ".output.bin"),
                $per_channel,
                $bias,
                $activation,
            );
        }
    };
}

single_layer_test!(per_channel_13_to_7, "fc_13x7_channel", 13, 7, true, true, FusedActivation::None);
single_layer_test!(per_tensor_33_to_5, "fc_33x5_tensor", 33, 5, false, true, FusedActivation::None);
single_layer_test!(per_tensor_1_to_1, "fc_1x1_tensor", 1, 1, false, true, FusedActivation::None);
single_layer_test!(per_channel_1_to_3, "fc_1x3_channel", 1, 3, true, true, FusedActivation::None);
single_layer_test!(per_channel_127_to_3_relu, "fc_127x3_channel_relu", 127, 3, true, true, FusedActivation::Relu);
single_layer_test!(per_channel_without_bias, "fc_12x6_channel_nobias", 12, 6, true, false, FusedActivation::None);
single_layer_test!(saturating_outputs, "fc_20x9_tensor_tiny_inputs", 20, 9, false, true, FusedActivation::None);
single_layer_test!(relu6_bounds_inside_int8, "fc_20x9_channel_relu6_inside", 20, 9, true, true, FusedActivation::Relu6);
single_layer_test!(relu_bound_inside_int8, "fc_20x9_tensor_relu_inside", 20, 9, false, true, FusedActivation::Relu);

/// Runs a three-layer model row by row through its imported layers.
fn three_layers<const A: usize, const B: usize, const C: usize, const D: usize>(
    model: &[u8],
    input: &[u8],
    output: &[u8],
    per_channel: bool,
) {
    let model = TfliteModel::parse(model).expect("a chain of int8 FULLY_CONNECTED ops");
    assert_eq!(model.layer_count(), 3);
    let first: QLinear<A, B> = model.layer(0).and_then(|l| l.to_qlinear()).expect("layer 0");
    let second: QLinear<B, C> = model.layer(1).and_then(|l| l.to_qlinear()).expect("layer 1");
    let third: QLinear<C, D> = model.layer(2).and_then(|l| l.to_qlinear()).expect("layer 2");
    assert!((0..3).all(|i| model.layer(i).is_ok_and(|l| l.per_channel() == per_channel)));
    assert_eq!(model.layer(0).map(|l| l.activation), Ok(FusedActivation::Relu));
    assert_eq!(model.layer(1).map(|l| l.activation), Ok(FusedActivation::Relu6));
    let (x, expected) = (rows::<A>(input), rows::<D>(output));
    for (i, (row, want)) in x.iter().zip(&expected).enumerate() {
        let (mut h1, mut h2, mut y) = ([[0i8; B]], [[0i8; C]], [[0i8; D]]);
        first.forward(&[*row], &mut h1);
        second.forward(&h1, &mut h2);
        third.forward(&h2, &mut y);
        assert_eq!(&y[0], want, "row {i}");
    }
}

#[test]
fn per_channel_mlp_16_24_10_3() {
    three_layers::<16, 24, 10, 3>(
        fixture!("mlp_16_24_10_3_channel", ".tflite"),
        fixture!("mlp_16_24_10_3_channel", ".input.bin"),
        fixture!("mlp_16_24_10_3_channel", ".output.bin"),
        true,
    );
}

#[test]
fn per_tensor_mlp_16_24_10_3() {
    three_layers::<16, 24, 10, 3>(
        fixture!("mlp_16_24_10_3_tensor", ".tflite"),
        fixture!("mlp_16_24_10_3_tensor", ".input.bin"),
        fixture!("mlp_16_24_10_3_tensor", ".output.bin"),
        false,
    );
}

#[test]
fn per_channel_mlp_64_33_1() {
    let model = TfliteModel::parse(fixture!("mlp_64_33_1_channel", ".tflite")).expect("a chain");
    assert_eq!(model.layer_count(), 2);
    let first: QLinear<64, 33> = model.layer(0).and_then(|l| l.to_qlinear()).expect("layer 0");
    let second: QLinear<33, 1> = model.layer(1).and_then(|l| l.to_qlinear()).expect("layer 1");
    let x = rows::<64>(fixture!("mlp_64_33_1_channel", ".input.bin"));
    let expected = rows::<1>(fixture!("mlp_64_33_1_channel", ".output.bin"));
    let mut hidden = vec![[0i8; 33]; x.len()];
    let mut y = vec![[0i8; 1]; x.len()];
    first.forward_slice(&x, &mut hidden).expect("batches match");
    second.forward_slice(&hidden, &mut y).expect("batches match");
    assert_eq!(y, expected);
}

#[test]
fn a_wrong_shape_is_refused_not_misread() {
    let model = TfliteModel::parse(fixture!("fc_13x7_channel", ".tflite")).expect("a chain");
    let refused = model.layer(0).and_then(|l| l.to_qlinear::<7, 13>());
    assert_eq!(refused, Err(Error::ShapeMismatch { expected: (7, 13), found: (13, 7) }));
}

#[test]
fn other_models_are_refused_naming_why() {
    let refusal = |bytes| TfliteModel::parse(bytes).map(|m| m.layer_count());
    assert_eq!(
        refusal(fixture!("refused_float", ".tflite")),
        Err(Error::TfliteUnsupported { what: "a float FULLY_CONNECTED" })
    );
    assert_eq!(
        refusal(fixture!("refused_hybrid", ".tflite")),
        Err(Error::TfliteUnsupported { what: "a hybrid FULLY_CONNECTED (float input, int8 weights)" })
    );
    assert_eq!(refusal(fixture!("refused_softmax", ".tflite")), Err(Error::TfliteUnsupported { what: "SOFTMAX" }));
    let message = TfliteModel::parse(fixture!("refused_softmax", ".tflite")).unwrap_err().to_string();
    assert!(message.contains("SOFTMAX"), "{message}");
}

#[test]
fn truncated_and_corrupted_files_are_errors_never_panics() {
    let whole = fixture!("mlp_16_24_10_3_channel", ".tflite");
    // Every prefix: an error (the last op's data lies near the end).
    for len in 0..whole.len() {
        assert!(TfliteModel::parse(&whole[..len]).is_err(), "a {len}-byte prefix was accepted");
    }
    // Bytes flipped one at a time and at random: any answer but a panic,
    // and whatever parses still reads every layer without one.
    let mut state = 0x1234_5678_u64;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    for _ in 0..20_000 {
        let mut bytes = whole.to_vec();
        for _ in 0..1 + next() % 4 {
            let at = next() % bytes.len();
            bytes[at] ^= 1 << (next() % 8);
        }
        if let Ok(model) = TfliteModel::parse(&bytes) {
            for i in 0..model.layer_count() {
                let layer = model.layer(i).expect("parse read it");
                let _ = layer.params::<24>();
            }
        }
    }
}

/// The `tflite` example's output for the per-channel MLP, committed: the
/// network as a `static` baked from its byte files at compile time.
mod baked {
    include!("../fixtures/tflite/baked/model.rs");
}

#[test]
fn a_network_baked_from_the_tools_files_reproduces_litert() {
    use tinylinear::quant::{QNetwork, QPingPong};
    type Net = baked::Net;
    const _: () = assert!(Net::LAYERS == 3 && Net::SCRATCH_WIDTH == 24);
    const _: () = assert!(Net::MACS_PER_ROW == 16 * 24 + 24 * 10 + 10 * 3);
    let x = rows::<16>(fixture!("mlp_16_24_10_3_channel", ".input.bin"));
    let expected = rows::<3>(fixture!("mlp_16_24_10_3_channel", ".output.bin"));
    let mut scratch = QPingPong::<{ Net::SCRATCH_WIDTH }, 8>::zeroed();
    for (chunk, want) in x.chunks_exact(8).zip(expected.chunks_exact(8)) {
        let mut y = [[0i8; 3]; 8];
        baked::NET.forward(chunk.try_into().expect("8 rows"), &mut y, &mut scratch);
        assert_eq!(&y, want);
    }
    // The network's edges are its first input's and last output's.
    let model = TfliteModel::parse(fixture!("mlp_16_24_10_3_channel", ".tflite")).expect("a chain");
    let first: QLinear<16, 24> = model.layer(0).and_then(|l| l.to_qlinear()).expect("layer 0");
    let last: QLinear<10, 3> = model.layer(2).and_then(|l| l.to_qlinear()).expect("layer 2");
    assert_eq!(baked::NET.input_quantization(), first.input_quantization());
    assert_eq!(baked::NET.output_quantization(), last.output_quantization());
    assert_eq!(
        Net::PARAM_BYTES,
        (size_of::<QLinear<16, 24>>() + size_of::<QLinear<24, 10>>() + size_of::<QLinear<10, 3>>()) as u64
    );
}

#[test]
fn chains_built_at_run_time_check_every_link() {
    use tinylinear::quant::QChain;
    let model = TfliteModel::parse(fixture!("mlp_16_24_10_3_tensor", ".tflite")).expect("a chain");
    let l0: QLinear<16, 24> = model.layer(0).and_then(|l| l.to_qlinear()).expect("layer 0");
    let l1: QLinear<24, 10> = model.layer(1).and_then(|l| l.to_qlinear()).expect("layer 1");
    let l2: QLinear<10, 3> = model.layer(2).and_then(|l| l.to_qlinear()).expect("layer 2");
    let tail = QChain::try_new(l1, l2.clone()).expect("layer 1 feeds layer 2");
    assert!(QChain::try_prepend(l0.clone(), tail).is_ok());
    // Layer 0's output is not layer 2's input, nor layer 1's output layer 1's input.
    let other = TfliteModel::parse(fixture!("mlp_16_24_10_3_channel", ".tflite")).expect("a chain");
    let foreign: QLinear<24, 10> = other.layer(1).and_then(|l| l.to_qlinear()).expect("layer 1");
    assert_eq!(QChain::try_new(l0, foreign.clone()).err(), Some(Error::ChainQuantization));
    assert_eq!(QChain::try_new(foreign, l2).err(), Some(Error::ChainQuantization));
}

#[test]
fn the_committed_layer_files_are_what_the_tool_writes_now() {
    let model = TfliteModel::parse(fixture!("mlp_16_24_10_3_channel", ".tflite")).expect("a chain");
    let committed: [&[u8]; 3] =
        [fixture!("baked/layer0", ".bin"), fixture!("baked/layer1", ".bin"), fixture!("baked/layer2", ".bin")];
    for (i, file) in committed.iter().enumerate() {
        let layer = model.layer(i).expect("read by parse");
        let mut written = vec![0u8; layer.byte_len()];
        assert_eq!(layer.write_le_bytes(&mut written), Ok(written.len()));
        assert_eq!(
            &written, file,
            "layer {i}: regenerate with `cargo run --example tflite -- tests/fixtures/tflite/mlp_16_24_10_3_channel.tflite tests/fixtures/tflite/baked`"
        );
    }
}

/// Writes op `index` of `model` in the byte format and reads it back.
fn round_trip<const DIN: usize, const DOUT: usize>(model: &[u8], index: usize) {
    let model = TfliteModel::parse(model).expect("a chain");
    let layer = model.layer(index).expect("read by parse");
    let mut bytes = vec![0u8; layer.byte_len()];
    layer.write_le_bytes(&mut bytes).expect("room for it");
    assert_eq!(QLinear::<DIN, DOUT>::from_le_bytes(&bytes), layer.to_qlinear::<DIN, DOUT>());
    // Short buffers are refused without writing.
    let mut short = vec![0u8; bytes.len() - 1];
    assert_eq!(layer.write_le_bytes(&mut short), Err(Error::ByteLength { expected: bytes.len(), found: short.len() }));
    assert!(short.iter().all(|&b| b == 0));
    // Every prefix and a wrong shape are refused.
    for len in 0..bytes.len() {
        assert!(QLinear::<DIN, DOUT>::from_le_bytes(&bytes[..len]).is_err());
    }
    if DIN != DOUT {
        assert!(matches!(QLinear::<DOUT, DIN>::from_le_bytes(&bytes), Err(Error::ShapeMismatch { .. })));
    }
    // An f32 layer's bytes are not an int8 layer's, and the reverse.
    assert!(matches!(tinylinear::Linear::<DIN, DOUT>::from_le_bytes(&bytes), Err(Error::ElementSize { .. })));
}

#[test]
fn every_fixture_layer_survives_the_byte_format() {
    round_trip::<13, 7>(fixture!("fc_13x7_channel", ".tflite"), 0);
    round_trip::<33, 5>(fixture!("fc_33x5_tensor", ".tflite"), 0);
    round_trip::<1, 1>(fixture!("fc_1x1_tensor", ".tflite"), 0);
    round_trip::<12, 6>(fixture!("fc_12x6_channel_nobias", ".tflite"), 0);
    round_trip::<20, 9>(fixture!("fc_20x9_channel_relu6_inside", ".tflite"), 0);
    round_trip::<20, 9>(fixture!("fc_20x9_tensor_relu_inside", ".tflite"), 0);
    round_trip::<16, 24>(fixture!("mlp_16_24_10_3_tensor", ".tflite"), 0);
    round_trip::<24, 10>(fixture!("mlp_16_24_10_3_tensor", ".tflite"), 1);
    round_trip::<10, 3>(fixture!("mlp_16_24_10_3_tensor", ".tflite"), 2);
}

/// The f32 little-endian values of a fixture file.
fn floats(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// Quantizes the Keras layer behind a single-layer fixture with the crate
/// and compares with what TensorFlow's converter made of it: the same input
/// scale and zero point and weight scales (hence multipliers), the output's
/// within a few ulps (its range comes from a float forward pass, whose sums
/// TensorFlow orders differently), and int8 weights and int32 biases off by
/// at most one step. Returns how many weights and biases differ, and by how
/// many ulps the output scale does.
fn quantized_like_the_converter<const DIN: usize, const DOUT: usize>(
    model: &[u8],
    float: &[u8],
    calibration: &[u8],
    weights: tinylinear::quant::WeightQuantization,
) -> (usize, usize, u32) {
    use tinylinear::Linear;
    use tinylinear::quant::Calibration;
    let op = TfliteModel::parse(model).and_then(|m| m.layer(0)).expect("one layer");
    let converted: QLinear<DIN, DOUT> = op.to_qlinear().expect("valid");
    let values = floats(float);
    let mut float_layer = Linear::<DIN, DOUT>::zeroed();
    float_layer.weight.as_flattened_mut().copy_from_slice(&values[..DIN * DOUT]);
    if op.has_bias() {
        float_layer.bias.copy_from_slice(&values[DIN * DOUT..]);
    }
    let calibration: Vec<[f32; DIN]> =
        floats(calibration).chunks_exact(DIN).map(|r| r.try_into().expect("a row")).collect();
    let mut outputs = vec![[0f32; DOUT]; calibration.len()];
    float_layer.forward_slice(&calibration, &mut outputs).expect("batches match");
    if op.activation == FusedActivation::Relu {
        outputs.iter_mut().flatten().for_each(|v| *v = v.max(0.0));
    }
    let ours = QLinear::quantize(
        &float_layer,
        Calibration::of_rows(&calibration),
        Calibration::of_rows(&outputs),
        op.activation,
        weights,
    )
    .expect("valid ranges");
    assert_eq!(ours.input_quantization(), converted.input_quantization(), "input scale and zero point");
    let ((ours_scale, ours_zero), (their_scale, their_zero)) =
        (ours.output_quantization(), converted.output_quantization());
    assert_eq!(ours_zero, their_zero, "output zero point");
    let output_ulps = ours_scale.to_bits().abs_diff(their_scale.to_bits());
    assert!(output_ulps <= 4, "output scales {ours_scale:e} and {their_scale:e}");
    if output_ulps == 0 {
        for j in 0..DOUT {
            assert_eq!(ours.multiplier(j), converted.multiplier(j), "channel {j}'s multiplier");
        }
    }
    let weight_steps: Vec<i32> = ours
        .weight()
        .as_flattened()
        .iter()
        .zip(converted.weight().as_flattened())
        .map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs())
        .collect();
    let bias_steps: Vec<i64> =
        ours.bias().iter().zip(converted.bias()).map(|(a, b)| (i64::from(*a) - i64::from(*b)).abs()).collect();
    assert!(weight_steps.iter().all(|&d| d <= 1) && bias_steps.iter().all(|&d| d <= 1));
    (weight_steps.iter().filter(|&&d| d > 0).count(), bias_steps.iter().filter(|&&d| d > 0).count(), output_ulps)
}

#[test]
fn the_crates_quantization_is_the_converters() {
    use tinylinear::quant::WeightQuantization::{PerChannel, PerTensor};
    macro_rules! compare {
        ($name:literal, $din:literal, $dout:literal, $weights:expr) => {
            quantized_like_the_converter::<$din, $dout>(
                fixture!($name, ".tflite"),
                fixture!($name, ".float.bin"),
                fixture!($name, ".calibration.bin"),
                $weights,
            )
        };
    }
    let differ = [
        compare!("fc_13x7_channel", 13, 7, PerChannel),
        compare!("fc_33x5_tensor", 33, 5, PerTensor),
        compare!("fc_1x3_channel", 1, 3, PerChannel),
        compare!("fc_127x3_channel_relu", 127, 3, PerChannel),
        compare!("fc_12x6_channel_nobias", 12, 6, PerChannel),
        compare!("fc_20x9_tensor_tiny_inputs", 20, 9, PerTensor),
    ];
    // On these fixtures the crate and the converter agree on every weight
    // and bias (an output scale may sit an ulp apart: the 127 → 3 layer's
    // does on x86-64, its 127 products summed in another order).
    assert!(differ.iter().all(|&(weights, biases, _)| weights == 0 && biases == 0), "{differ:?}");
}
