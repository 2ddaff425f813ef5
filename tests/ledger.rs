//! The design note's numbers, pinned. Every expected value below is copied
//! from `SEED-NOTES.md` (or is its formula written out by hand), never
//! produced by the crate. The `const` items make a wrong number a compile
//! error; `.ci/run` also runs this file on a 32-bit target.

use core::fmt::Write as _;
use tinylinear::{Ledger, Linear, LinearNoBias};

/// The note's worked example: batch 32, d_in 128, d_out 64, f32.
type Example = Linear<128, 64>;
const B: usize = 32;

// In const context: a firmware build checks these at compile time.
const _: () = {
    assert!(Example::PARAMS == 8_256);
    assert!(Example::PARAM_BYTES == 33_024);
    assert!(Example::forward_flops(B) == 524_288);
    assert!(Example::training_flops(B) == 1_572_864);
    assert!(Example::forward_traffic_bytes(B) == 57_600);
    assert!(Example::PARAM_BYTES <= 64 * 1024); // the README's firmware budget line
};

// The note's scale-up examples, in const context; past 2³² on purpose.
const _: () = {
    type Mlp = Linear<4096, 11008>;
    assert!(Mlp::PARAMS == 45_099_776);
    assert!(Mlp::PARAM_BYTES == 180_399_104);
    // Output activation at sequence length 2048: 2048·11008 floats ≈ 90 MB.
    assert!(Mlp::output_bytes(2048) == 2048 * 11008 * 4);
    assert!(Mlp::output_bytes(2048) == 90_177_536);
    // 2·2048·4096·11008 FLOPs does not fit in 32 bits.
    assert!(Mlp::forward_flops(2048) == 184_683_593_728);

    type Square = Linear<4096, 4096>;
    assert!(Square::PARAMS == 16_781_312);
    // ≈ 67 MB of parameters in f32.
    assert!(Square::PARAM_BYTES == 67_125_248);
    // An activation of 32 sequences × 1024 tokens × 4096 floats ≈ 537 MB.
    assert!(Square::output_bytes(32 * 1024) == 536_870_912);
    assert!(Square::training_flops(32 * 1024) == 6 * 32 * 1024 * 4096 * 4096);
};

#[test]
fn worked_example_matches_the_note() {
    assert_eq!(Example::PARAMS, 8_256);
    assert_eq!(Example::PARAM_BYTES, 33_024);
    assert_eq!(Example::PARAM_BYTES as f64 / 1024.0, 32.25); // "≈ 32.25 KiB"
    assert_eq!(Example::forward_flops(B), 524_288);
    assert_eq!(Example::backward_flops(B), 1_048_576);
    assert_eq!(Example::training_flops(B), 1_572_864);

    let ledger = Example::ledger(B);
    assert_eq!(ledger.output_elements(), 2_048);
    assert_eq!(Example::output_bytes(B), 8_192);
    assert_eq!(ledger.cached_input_elements(), 4_096);
    assert_eq!(Example::cached_input_bytes(B), 16_384);
    assert_eq!(ledger.forward_traffic_elements(), 14_400);
    assert_eq!(Example::forward_traffic_bytes(B), 57_600);
    // "intensity ≈ 9.1 FLOP/byte"
    let intensity = Example::arithmetic_intensity(B);
    assert!((intensity - 524_288.0 / 57_600.0).abs() < 1e-12);
    assert_eq!(format!("{intensity:.1}"), "9.1");
}

#[test]
fn the_element_type_sets_the_bytes_not_the_counts() {
    type Double = Linear<128, 64, f64>;
    assert_eq!(Double::PARAMS, 8_256);
    assert_eq!(Double::PARAM_BYTES, 2 * 33_024);
    assert_eq!(Double::forward_flops(B), 524_288);
    assert_eq!(Double::forward_traffic_bytes(B), 2 * 57_600);
    assert!((Double::arithmetic_intensity(B) - 524_288.0 / 115_200.0).abs() < 1e-12);
}

#[test]
fn bias_free_layer_drops_exactly_the_bias() {
    type NoBias = LinearNoBias<128, 64>;
    assert_eq!(NoBias::PARAMS, 128 * 64);
    assert_eq!(NoBias::PARAM_BYTES, 128 * 64 * 4);
    assert_eq!(NoBias::forward_flops(B), 524_288);
    assert_eq!(NoBias::training_flops(B), 1_572_864);
    assert_eq!(NoBias::forward_traffic_bytes(B), 57_600 - 64 * 4);
    assert_eq!(NoBias::output_bytes(B), 8_192);
    assert_eq!(NoBias::cached_input_bytes(B), 16_384);
    assert!(!NoBias::ledger(B).bias);
}

#[test]
fn counts_past_u32_are_exact_on_every_target() {
    // Spelled out in u64 by hand, so a 32-bit usize cannot wrap them.
    let expected: u64 = 2 * 2048 * 4096 * 11008;
    assert!(expected > u64::from(u32::MAX));
    assert_eq!(Linear::<4096, 11008>::forward_flops(2048), expected);
    assert_eq!(Linear::<4096, 11008>::backward_flops(2048), 2 * expected);
    assert_eq!(Linear::<4096, 11008, f64>::forward_traffic_bytes(4096), 8 * (4096 * 4096 + 45_099_776 + 4096 * 11008));
    // 2³² − 1 rows (usize::MAX on a 32-bit target) is no real batch, but its
    // counts must not wrap either.
    let huge = Ledger::new(4096, 4096, u32::MAX as usize, true, 4, "f32");
    assert_eq!(huge.cached_input_elements(), u64::from(u32::MAX) * 4096);
    assert_eq!(huge.cached_input_bytes(), u64::from(u32::MAX) * 4096 * 4);
}

#[test]
#[should_panic(expected = "does not fit in u64")]
fn counts_past_u64_are_refused_not_wrapped() {
    let absurd = Ledger::new(usize::MAX, usize::MAX, usize::MAX, true, 8, "f64");
    let _ = absurd.forward_flops();
}

#[test]
fn ledger_prints_the_notes_table() {
    let mut text = heapless::String::<2048>::new();
    write!(text, "{}", Example::ledger(B)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let row = |name: &str| -> Vec<&str> {
        let line =
            lines.iter().find(|l| l.split_whitespace().next() == Some(name)).unwrap_or_else(|| panic!("no row {name}"));
        line.split_whitespace().collect()
    };
    // quantity, shape, elements, bytes (the shape prints as "rows × cols").
    assert_eq!(row("X")[..6], ["X", "32", "×", "128", "4,096", "16,384"]);
    assert_eq!(row("W")[..6], ["W", "128", "×", "64", "8,192", "32,768"]);
    assert_eq!(row("b")[..4], ["b", "64", "64", "256"]);
    assert_eq!(row("Y")[..6], ["Y", "32", "×", "64", "2,048", "8,192"]);
    assert_eq!(row("dY")[..6], ["dY", "32", "×", "64", "2,048", "8,192"]);
    assert_eq!(row("dW")[..6], ["dW", "128", "×", "64", "8,192", "32,768"]);
    assert_eq!(row("db")[..4], ["db", "64", "64", "256"]);
    assert_eq!(row("dX")[..6], ["dX", "32", "×", "128", "4,096", "16,384"]);
    for needle in [
        "8,256",
        "33,024 bytes",
        "524,288",
        "1,048,576",
        "1,572,864",
        "14,400",
        "57,600 bytes",
        "9.10",
        "output Y 8,192 bytes",
        "cached input X 16,384 bytes",
        "Linear<128, 64, f32> at batch B = 32",
    ] {
        assert!(text.contains(needle), "ledger lacks {needle:?}:\n{text}");
    }

    let mut no_bias = heapless::String::<2048>::new();
    write!(no_bias, "{}", LinearNoBias::<128, 64>::ledger(B)).unwrap();
    assert!(!no_bias.lines().any(|l| l.starts_with("b ") || l.starts_with("db ")), "{no_bias}");
    assert!(no_bias.contains("8,192 (32,768 bytes)") || no_bias.contains("8,192  (32,768 bytes)"), "{no_bias}");
}

#[test]
fn batching_raises_arithmetic_intensity() {
    // By hand: B = 1: 2·128·64 = 16,384 FLOPs over 4·(128 + 8,256 + 64) = 33,792 bytes.
    assert!((Example::arithmetic_intensity(1) - 16_384.0 / 33_792.0).abs() < 1e-12);
    // B = 256: 4,194,304 FLOPs over 4·(32,768 + 8,256 + 16,384) = 229,632 bytes.
    assert!((Example::arithmetic_intensity(256) - 4_194_304.0 / 229_632.0).abs() < 1e-12);
    assert_eq!(format!("{:.2}", Example::arithmetic_intensity(1)), "0.48");
    assert_eq!(format!("{:.1}", Example::arithmetic_intensity(256)), "18.3");
}

/// On 32-bit targets (firmware) a layer in memory is exactly its parameter
/// bytes, so the ledger's flash figure is the size of the static. On 64-bit
/// targets the layer types start on a 64-byte line for the SIMD kernels,
/// at the cost of at most 63 bytes of padding.
#[test]
fn layers_in_memory_are_their_parameter_bytes_plus_alignment_padding() {
    use core::mem::{align_of, size_of};
    use tinylinear::{Grads, GradsNoBias};
    fn check<L, const DIN: usize, const DOUT: usize>(param_bytes: u64) {
        let size = size_of::<L>() as u64;
        if cfg!(target_pointer_width = "64") {
            assert_eq!(align_of::<L>(), 64, "{DIN}->{DOUT}");
            assert!(size >= param_bytes && size < param_bytes + 64, "{DIN}->{DOUT}: {size} bytes");
            assert_eq!(size % 64, 0, "{DIN}->{DOUT}");
        } else {
            assert_eq!(size, param_bytes, "{DIN}->{DOUT}");
        }
    }
    check::<Linear<3, 2>, 3, 2>(4 * (3 * 2 + 2));
    check::<Linear<128, 64, f64>, 128, 64>(8 * (128 * 64 + 64));
    check::<LinearNoBias<7, 5>, 7, 5>(4 * 7 * 5);
    check::<Grads<3, 2>, 3, 2>(4 * (3 * 2 + 2));
    check::<GradsNoBias<13, 3, f64>, 13, 3>(8 * 13 * 3);
    assert_eq!(Linear::<3, 2>::PARAM_BYTES, 4 * (3 * 2 + 2));
}
