//! The int8 layer against an oracle written apart from it: accumulators in
//! 64 bits, requantization as TFLite's definition reads in exact 128-bit
//! arithmetic, on odd shapes, both weight-scale kinds and both roundings,
//! zero points at both ends, saturating outputs and multipliers from 1e-6
//! to above 1. And the refusals, and compile-time against run-time
//! construction (on every CI target, i586's x87 included).

use std::hint::black_box;
use tinylinear::Error;
use tinylinear::quant::{QLinear, QuantParams, WeightScales, dequantize, quantize};

/// A small, seeded generator: the tests must be repeatable.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 32) as u32
    }
    fn int8(&mut self) -> i8 {
        // A third of the values at the ends of the range.
        match self.next() % 6 {
            0 => -128,
            1 => 127,
            _ => self.next() as i8,
        }
    }
    fn scale(&mut self, low: f64, high: f64) -> f32 {
        let unit = f64::from(self.next()) / f64::from(u32::MAX);
        (low * (high / low).powf(unit)) as f32
    }
}

/// `n / 2^k` rounded down, for either sign.
fn floor_shift(n: i128, k: u32) -> i128 {
    n.div_euclid(1i128 << k)
}

/// TFLite's requantization, read from its definition: double rounding is
/// the high half of the doubled product rounded (ties up), then a division
/// by 2^-shift rounded half away from zero; single rounding is one product
/// rounded once (ties up).
fn requantize(acc: i32, multiplier: i32, shift: i32, single: bool) -> i32 {
    if single {
        let k = (31 - shift) as u32;
        return floor_shift(i128::from(acc) * i128::from(multiplier) + (1i128 << (k - 1)), k) as i32;
    }
    let scaled = i128::from(acc.wrapping_mul(1i32.wrapping_shl(shift.max(0) as u32)));
    let high = floor_shift(scaled * i128::from(multiplier) + (1i128 << 30), 31);
    let right = (-shift).max(0) as u32;
    let magnitude = if right == 0 { high.abs() } else { floor_shift(high.abs() + (1i128 << (right - 1)), right) };
    (if high < 0 { -magnitude } else { magnitude }) as i32
}

fn oracle<const DIN: usize, const DOUT: usize>(
    layer: &QLinear<DIN, DOUT>,
    weight: &[[i8; DIN]; DOUT],
    bias: &[i32; DOUT],
    params: &QuantParams<DOUT>,
    single: bool,
    x: &[[i8; DIN]],
) -> Vec<[i8; DOUT]> {
    x.iter()
        .map(|row| {
            let mut out = [0i8; DOUT];
            for j in 0..DOUT {
                let exact: i64 = i64::from(bias[j])
                    + (0..DIN)
                        .map(|k| (i64::from(row[k]) - i64::from(params.input_zero_point)) * i64::from(weight[j][k]))
                        .sum::<i64>();
                let (multiplier, shift) = layer.multiplier(j);
                let scaled = requantize(exact as i32, multiplier, shift, single);
                let y = scaled.wrapping_add(params.output_zero_point);
                out[j] = y.clamp(i32::from(params.activation_min), i32::from(params.activation_max)) as i8;
            }
            out
        })
        .collect()
}

fn random_case<const DIN: usize, const DOUT: usize>(
    rng: &mut Lcg,
    variant: u32,
) -> ([[i8; DIN]; DOUT], [i32; DOUT], QuantParams<DOUT>) {
    let mut weight = [[0i8; DIN]; DOUT];
    for row in &mut weight {
        for w in row.iter_mut() {
            *w = rng.int8();
        }
    }
    let with_bias = variant.is_multiple_of(2);
    let mut bias = [0i32; DOUT];
    if with_bias {
        for b in &mut bias {
            *b = (rng.next() as i32) >> (8 + rng.next() % 20);
        }
    }
    let zero_points = [-128, 0, 127, -5, 33];
    let input_zero_point = zero_points[(variant / 2) as usize % zero_points.len()];
    let output_zero_point = zero_points[(variant / 3) as usize % zero_points.len()];
    let input_scale = rng.scale(1e-3, 1.0);
    // Multipliers s_x·s_w/s_y from about 1e-6 to about 4: outputs from
    // mostly zero to saturated both ways.
    let target = [1e-6, 1e-4, 1e-3, 1e-2, 0.1, 0.9, 1.0, 3.7][variant as usize % 8];
    let weight_scale = rng.scale(1e-3, 1e-1);
    let output_scale = (f64::from(input_scale) * f64::from(weight_scale) / target) as f32;
    let weight_scales = if variant.is_multiple_of(3) {
        WeightScales::PerTensor(weight_scale)
    } else {
        let mut scales = [0f32; DOUT];
        for s in &mut scales {
            *s = weight_scale * rng.scale(0.5, 2.0);
        }
        WeightScales::PerChannel(scales)
    };
    let (activation_min, activation_max) = match variant % 4 {
        0 => (-128, 127),
        1 => (output_zero_point.clamp(-128, 127) as i8, 127),
        2 => (-100, 90),
        _ => (-3, 3),
    };
    let params = QuantParams {
        input_scale,
        input_zero_point,
        weight_scales,
        output_scale,
        output_zero_point,
        activation_min,
        activation_max,
    };
    (weight, bias, params)
}

fn check_shape<const DIN: usize, const DOUT: usize>(seed: u64) {
    let mut rng = Lcg(seed);
    for variant in 0..24 {
        let (weight, bias, params) = random_case::<DIN, DOUT>(&mut rng, variant);
        let x: Vec<[i8; DIN]> = (0..1 + variant as usize % 9)
            .map(|_| {
                let mut row = [0i8; DIN];
                row.iter_mut().for_each(|v| *v = rng.int8());
                row
            })
            .collect();
        for single in [false, true] {
            let built = if single {
                QLinear::try_from_tflite_single_rounding(&weight, &bias, &params)
            } else {
                QLinear::try_from_tflite(&weight, &bias, &params)
            };
            let layer = built.unwrap_or_else(|e| panic!("{DIN} → {DOUT}, variant {variant}: {e}"));
            let mut y = vec![[0i8; DOUT]; x.len()];
            layer.forward_slice(&x, &mut y).expect("batches match");
            let expected = oracle(&layer, &weight, &bias, &params, single, &x);
            assert_eq!(y, expected, "{DIN} → {DOUT}, variant {variant}, single rounding {single}");
        }
    }
}

#[test]
fn the_int8_layer_matches_the_oracle_on_odd_shapes() {
    check_shape::<1, 1>(1);
    check_shape::<3, 7>(2);
    check_shape::<7, 3>(3);
    check_shape::<13, 33>(4);
    check_shape::<33, 13>(5);
    check_shape::<64, 64>(6);
    check_shape::<100, 37>(7);
    check_shape::<127, 5>(8);
    check_shape::<5, 129>(9);
}

#[test]
fn outputs_saturate_at_the_activation_bounds_both_ways() {
    // Every input and weight at an end of int8, a multiplier of about 1:
    // accumulators of ±(127..128)²·d_in, far past int8 both ways.
    let params = QuantParams {
        input_scale: 1.0,
        input_zero_point: 0,
        weight_scales: WeightScales::PerTensor(1.0),
        output_scale: 1.0,
        output_zero_point: 0,
        activation_min: -120,
        activation_max: 110,
    };
    let layer = QLinear::<4, 2>::from_tflite(&[[127; 4], [-128; 4]], &[0, 0], &params);
    let mut y = [[0i8; 2]; 2];
    layer.forward(&[[127; 4], [-128; 4]], &mut y);
    assert_eq!(y, [[110, -120], [-120, 110]]);
}

#[test]
fn the_accumulator_wraps_in_32_bits() {
    // A bias near i32::MAX plus a positive sum wraps negative, as in C in
    // practice; a saturating accumulator would give +127 instead.
    let params = QuantParams {
        input_scale: 1.0,
        input_zero_point: 0,
        weight_scales: WeightScales::PerTensor(1.0),
        output_scale: 2.0, // a multiplier of 0.5: no left shift to wrap again
        output_zero_point: 0,
        activation_min: -128,
        activation_max: 127,
    };
    let layer = QLinear::<2, 1>::from_tflite(&[[100, 100]], &[i32::MAX - 5], &params);
    let mut y = [[0i8; 1]];
    layer.forward(&[[1, 1]], &mut y);
    assert_eq!(y, [[-128]]);
}

#[test]
fn bad_parameters_are_refused_with_a_reason() {
    let good = QuantParams {
        input_scale: 0.1,
        input_zero_point: 0,
        weight_scales: WeightScales::PerChannel([0.01, 0.02]),
        output_scale: 0.2,
        output_zero_point: 0,
        activation_min: -128,
        activation_max: 127,
    };
    let (w, b) = ([[1i8; 3]; 2], [0i32; 2]);
    assert!(QLinear::<3, 2>::try_from_tflite(&w, &b, &good).is_ok());
    let refused = |params: QuantParams<2>| QLinear::<3, 2>::try_from_tflite(&w, &b, &params).unwrap_err();
    assert_eq!(refused(QuantParams { input_scale: 0.0, ..good }), Error::QuantScale { tensor: "input", channel: 0 });
    assert_eq!(
        refused(QuantParams { output_scale: f32::NAN, ..good }),
        Error::QuantScale { tensor: "output", channel: 0 }
    );
    assert_eq!(
        refused(QuantParams { weight_scales: WeightScales::PerChannel([0.01, f32::INFINITY]), ..good }),
        Error::QuantScale { tensor: "weight", channel: 1 }
    );
    assert_eq!(
        refused(QuantParams { weight_scales: WeightScales::PerTensor(-0.5), ..good }),
        Error::QuantScale { tensor: "weight", channel: 0 }
    );
    assert_eq!(
        refused(QuantParams { input_zero_point: 128, ..good }),
        Error::ZeroPointRange { tensor: "input", found: 128 }
    );
    assert_eq!(
        refused(QuantParams { output_zero_point: -129, ..good }),
        Error::ZeroPointRange { tensor: "output", found: -129 }
    );
    assert_eq!(
        refused(QuantParams { activation_min: 5, activation_max: 4, ..good }),
        Error::ActivationRange { min: 5, max: 4 }
    );
    assert_eq!(refused(QuantParams { output_scale: 1e-30, ..good }), Error::MultiplierRange { channel: 0 });
    assert_eq!(
        refused(QuantParams { weight_scales: WeightScales::PerTensor(1e30), input_scale: 1e30, ..good }),
        Error::MultiplierRange { channel: 0 }
    );
    // Every refusal says what was wrong.
    let message = refused(QuantParams { input_zero_point: 300, ..good }).to_string();
    assert!(message.contains("input zero point 300"), "{message}");
}

#[test]
fn a_forward_slice_with_a_short_output_writes_nothing() {
    let params = QuantParams {
        input_scale: 1.0,
        input_zero_point: 0,
        weight_scales: WeightScales::PerTensor(1.0),
        output_scale: 1.0,
        output_zero_point: 0,
        activation_min: -128,
        activation_max: 127,
    };
    let layer = QLinear::<2, 2>::from_tflite(&[[1, 0], [0, 1]], &[0, 0], &params);
    let mut y = [[7i8; 2]; 1];
    let refused = layer.forward_slice(&[[1, 2], [3, 4]], &mut y);
    assert_eq!(refused, Err(Error::BatchMismatch { argument: "y", expected: 2, found: 1 }));
    assert_eq!(y, [[7, 7]]);
}

// Scales whose multipliers round differently per tensor and per channel,
// and whose f64 arithmetic would round twice on x87.
const AWKWARD: QuantParams<3> = QuantParams {
    input_scale: 0.007_843_138,
    input_zero_point: -128,
    weight_scales: WeightScales::PerChannel([0.003_141_592_7, 0.000_271_828_18, 0.011_235_813]),
    output_scale: 0.023_529_412,
    output_zero_point: 127,
    activation_min: -128,
    activation_max: 127,
};
const AWKWARD_TENSOR: QuantParams<3> =
    QuantParams { weight_scales: WeightScales::PerTensor(0.003_141_592_7), ..AWKWARD };
const W3: [[i8; 5]; 3] = [[1, -2, 3, -4, 5], [127, -128, 0, 64, -64], [-1, -1, -1, -1, -1]];
const B3: [i32; 3] = [100, -1000, 7];

static BUILT_AT_COMPILE_TIME: [QLinear<5, 3>; 4] = [
    QLinear::from_tflite(&W3, &B3, &AWKWARD),
    QLinear::from_tflite(&W3, &B3, &AWKWARD_TENSOR),
    QLinear::from_tflite_single_rounding(&W3, &B3, &AWKWARD),
    QLinear::from_tflite_single_rounding(&W3, &B3, &AWKWARD_TENSOR),
];

#[test]
fn compile_time_and_run_time_construction_agree() {
    let at_run_time = [
        QLinear::try_from_tflite(&W3, &B3, black_box(&AWKWARD)),
        QLinear::try_from_tflite(&W3, &B3, black_box(&AWKWARD_TENSOR)),
        QLinear::try_from_tflite_single_rounding(&W3, &B3, black_box(&AWKWARD)),
        QLinear::try_from_tflite_single_rounding(&W3, &B3, black_box(&AWKWARD_TENSOR)),
    ];
    for (built, run) in BUILT_AT_COMPILE_TIME.iter().zip(at_run_time) {
        assert_eq!(Ok(built), run.as_ref());
    }
    // And a table of scales spread over six decades, built both ways.
    for (i, &(x, w, y)) in SCALES.iter().enumerate() {
        let per_tensor =
            QuantParams { input_scale: x, weight_scales: WeightScales::PerTensor(w), output_scale: y, ..AWKWARD };
        let per_channel = QuantParams { weight_scales: WeightScales::PerChannel([w, w * 0.75, w * 1.5]), ..per_tensor };
        assert_eq!(
            Ok(&TABLE_BUILT_AT_COMPILE_TIME[2 * i]),
            QLinear::try_from_tflite(&W3, &B3, black_box(&per_tensor)).as_ref()
        );
        assert_eq!(
            Ok(&TABLE_BUILT_AT_COMPILE_TIME[2 * i + 1]),
            QLinear::try_from_tflite(&W3, &B3, black_box(&per_channel)).as_ref()
        );
    }
}

const SCALES: [(f32, f32, f32); 8] = [
    (0.003_921_569, 0.001_234_567, 0.017_341_5),
    (0.1, 0.2, 0.3),
    (1.0 / 3.0, 1.0 / 7.0, 1.0 / 11.0),
    (0.000_123_45, 0.000_987_65, 0.5),
    (0.9, 0.099_999_994, 0.000_999_9),
    (2.0e-3, 3.0e-3, 5.0e-9),
    (0.062_5, 0.031_25, 0.007_812_5),
    (0.012_345_678, 0.087_654_32, 0.024_681_357),
];

const TABLE_BUILT_AT_COMPILE_TIME: [QLinear<5, 3>; 16] = {
    let mut i = 0;
    let mut out = [const { QLinear::from_tflite(&W3, &B3, &AWKWARD) }; 16];
    while i < SCALES.len() {
        let (x, w, y) = SCALES[i];
        let per_tensor =
            QuantParams { input_scale: x, weight_scales: WeightScales::PerTensor(w), output_scale: y, ..AWKWARD };
        let per_channel = QuantParams { weight_scales: WeightScales::PerChannel([w, w * 0.75, w * 1.5]), ..per_tensor };
        out[2 * i] = QLinear::from_tflite(&W3, &B3, &per_tensor);
        out[2 * i + 1] = QLinear::from_tflite(&W3, &B3, &per_channel);
        i += 1;
    }
    out
};

#[test]
fn the_layer_takes_the_bytes_its_ledger_says() {
    assert_eq!(QLinear::<5, 3>::PARAM_BYTES, std::mem::size_of::<QLinear<5, 3>>() as u64);
    assert_eq!(QLinear::<128, 64>::PARAM_BYTES, std::mem::size_of::<QLinear<128, 64>>() as u64);
    assert_eq!(QLinear::<1, 1>::PARAM_BYTES, std::mem::size_of::<QLinear<1, 1>>() as u64);
    assert_eq!(QLinear::<7, 3>::PARAM_BYTES, std::mem::size_of::<QLinear<7, 3>>() as u64);
    // The formula, by hand: 128·64 weights, 12 bytes per output, 19 more, to 4.
    assert_eq!(QLinear::<128, 64>::PARAM_BYTES, 128 * 64 + 12 * 64 + 20);
}

static BIG_W: [[i8; 1024]; 1024] = [[1; 1024]; 1024];
static BIG: QLinear<1024, 1024> = QLinear::from_tflite(
    &BIG_W,
    &[0; 1024],
    &QuantParams {
        input_scale: 0.5,
        input_zero_point: 0,
        weight_scales: WeightScales::PerChannel([0.25; 1024]),
        output_scale: 64.0,
        output_zero_point: 0,
        activation_min: -128,
        activation_max: 127,
    },
);

#[test]
fn a_large_static_layer_compiles() {
    // 1024 inputs of 2 (real 1) times weights 1 (real 0.25): 256 real, /64.
    let mut y = [[0i8; 1024]];
    BIG.forward(&[[2; 1024]], &mut y);
    assert!(y[0].iter().all(|&v| v == 4));
}

#[test]
fn the_ledger_counts_macs_and_bytes_without_overflow_on_32_bits() {
    assert_eq!(QLinear::<128, 64>::forward_macs(32), 32 * 128 * 64);
    assert_eq!(QLinear::<128, 64>::forward_traffic_bytes(32), 32 * (128 + 64) + QLinear::<128, 64>::PARAM_BYTES);
    // Past 2^32 on a 32-bit target too: the counts are u64.
    assert_eq!(QLinear::<4096, 4096>::forward_macs(1 << 10), 1u64 << 34);
}

#[test]
fn quantize_and_dequantize_match_tflites_definitions() {
    let mut rng = Lcg(21);
    for _ in 0..2000 {
        let scale = rng.scale(1e-4, 10.0);
        let zero_point = (rng.next() % 256) as i32 - 128;
        let x: [f32; 16] = std::array::from_fn(|_| {
            (f64::from(rng.next() as i32) / f64::from(i32::MAX) * 200.0 * f64::from(scale)) as f32
        });
        let q = quantize(&x, scale, zero_point);
        for (value, got) in x.iter().zip(q) {
            // The f32 quotient, formed in f64 (53 bits round to 24 without a
            // second-rounding error), then rounded half away from zero.
            let quotient = (f64::from(*value) / f64::from(scale)) as f32;
            let rounded = f64::from(quotient).abs().add_half_floor().copysign(f64::from(quotient));
            let expected = (rounded + f64::from(zero_point)).clamp(-128.0, 127.0);
            assert_eq!(f64::from(got), expected, "{value} / {scale} + {zero_point}");
        }
        let back = dequantize(&q, scale, zero_point);
        for (got, q) in back.iter().zip(q) {
            let exact = f64::from(scale) * (f64::from(q) - f64::from(zero_point));
            assert_eq!(*got, exact as f32);
        }
    }
    // Ties round away from zero; NaN gives the zero point; infinities saturate.
    assert_eq!(quantize(&[0.5, -0.5, 1.5, -2.5], 1.0, 0), [1, -1, 2, -3]);
    assert_eq!(quantize(&[f32::NAN, f32::INFINITY, f32::NEG_INFINITY], 1.0, 9), [9, 127, -128]);
}

trait AddHalfFloor {
    fn add_half_floor(self) -> f64;
}

impl AddHalfFloor for f64 {
    /// `floor(self + 0.5)` for a non-negative value: half up, which is half
    /// away from zero for magnitudes.
    fn add_half_floor(self) -> f64 {
        (self + 0.5).floor()
    }
}
