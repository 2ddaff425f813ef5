//! The numbers of `docs/linear-layer.md`, pinned. Every expected value below
//! is copied from there (or is its formula written out by hand), never
//! produced by the crate. The `const` items make a wrong number a compile
//! error; `.ci/run` also runs this file on a 32-bit target.

use core::fmt::Write as _;
use std::panic::{UnwindSafe, catch_unwind};
use tinylinear::ledger::budget;
use tinylinear::network::{LAYER_CALL_STACK_BYTES, LayerRow, NetworkLedger};
use tinylinear::{Ledger, Linear, LinearNoBias};

/// The worked example of `docs/linear-layer.md`: batch 32, d_in 128, d_out 64, f32.
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

// Its examples at scale, in const context; past 2³² on purpose.
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

// Widths whose sum, 2³² + 1, passes a 32-bit `usize`: summed in `usize`,
// these would not compile on a 32-bit target. Expected values in u128.
const _: () = {
    let wide = u32::MAX as usize;
    let d = u32::MAX as u128;
    assert!(budget::forward_ram_bytes(3, wide, 2, 4) as u128 == 4 * 3 * (d + 2));
    assert!(budget::training_ram_bytes(3, wide, 2, true, 4) as u128 == 4 * (2 * 3 * (d + 2) + d * 2 + 2));
    assert!(budget::training_ram_bytes(3, wide, 2, false, 4) as u128 == 4 * (2 * 3 * (d + 2) + d * 2));
};

#[test]
fn worked_example_matches_the_model() {
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

    // The budget items sum d_in + d_out: 2³² + 1 here, past a 32-bit usize.
    // Expected values in u128, written out by hand.
    let wide = u32::MAX as usize;
    let d = u128::from(u32::MAX);
    let tall = Ledger::new(wide, 2, 3, true, 4, "f32");
    assert_eq!(u128::from(tall.forward_ram_bytes()), 4 * 3 * (d + 2));
    assert_eq!(u128::from(budget::forward_ram_bytes(3, wide, 2, 4)), 4 * 3 * (d + 2));
    assert_eq!(u128::from(tall.training_ram_bytes()), 4 * (2 * 3 * (d + 2) + d * 2 + 2));
    assert_eq!(u128::from(budget::training_ram_bytes(3, 2, wide, false, 8)), 8 * (2 * 3 * (d + 2) + 2 * d));
    // A batch of 3 packs nothing in any backward; the forward may pack on SIMD hosts.
    let backward = u128::from(budget::BACKWARD_STACK_FRAME) + 4 * (d + 2);
    assert_eq!(u128::from(tall.backward_stack_bytes()), backward);
    assert_eq!(u128::from(budget::backward_stack_bytes(3, 2, wide, 4)), backward);
    let forward = u128::from(budget::FORWARD_STACK_FRAME) + 8 * d;
    let forward_bound = u128::from(budget::forward_stack_bytes(2, wide, 8));
    if tinylinear::BACKEND == "scalar" {
        assert_eq!(forward_bound, forward);
    } else {
        assert!(forward_bound >= forward, "{forward_bound}");
    }
}

#[test]
fn network_counts_past_u32_are_exact_on_every_target() {
    // u32::MAX -> 3 -> u32::MAX at batch 2²⁰; expected values in u128, by hand.
    let wide = u32::MAX as usize;
    let d = u128::from(u32::MAX);
    let b: u128 = 1 << 20;
    let net = NetworkLedger::single(LayerRow::new(wide, 3, "relu"), 4, "f32")
        .then(NetworkLedger::single(LayerRow::new(3, wide, "identity"), 4, "f32"))
        .with_batch(1 << 20);
    let params = (d * 3 + 3) + (3 * d + d);
    let macs = 6 * d;
    assert!(b * macs > u128::from(u32::MAX));
    assert_eq!(u128::from(net.params()), params);
    assert_eq!(u128::from(net.param_bytes()), 4 * params);
    assert_eq!(u128::from(net.multiply_adds_per_row()), macs);
    assert_eq!(u128::from(net.forward_flops()), 2 * b * macs);
    assert_eq!(u128::from(net.backward_flops()), 4 * b * macs);
    assert_eq!(u128::from(net.training_flops()), 6 * b * macs);
    assert_eq!(net.scratch_width(), 3);
    let scratch = 4 * 2 * b * 3;
    assert_eq!(u128::from(net.scratch_bytes()), scratch);
    assert_eq!(u128::from(net.inference_activation_bytes()), 4 * (b * d + b * d) + scratch);
    let trace = 4 * 2 * b * (3 + d);
    assert_eq!(u128::from(net.trace_bytes()), trace);
    assert_eq!(u128::from(net.training_activation_bytes()), 4 * (b * d + b * d) + trace);
    if tinylinear::BACKEND == "scalar" {
        // The deepest layer's bound plus one nested call.
        let call = u128::from(LAYER_CALL_STACK_BYTES);
        assert_eq!(u128::from(net.forward_stack_bytes()), u128::from(budget::FORWARD_STACK_FRAME) + 4 * d + call);
        let backward = u128::from(budget::BACKWARD_STACK_FRAME) + 4 * (d + 3) + call;
        assert_eq!(u128::from(net.backward_stack_bytes()), backward);
    }
}

/// Asserts that `count` panics with the ledger's overflow message rather
/// than returning a wrapped or saturated number.
fn assert_refused(what: &str, count: impl FnOnce() -> u64 + UnwindSafe) {
    let payload = match catch_unwind(count) {
        Ok(number) => panic!("{what} gave {number} instead of refusing"),
        Err(payload) => payload,
    };
    let message = match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
        (Some(text), _) => *text,
        (None, Some(text)) => text.as_str(),
        (None, None) => "",
    };
    assert!(message.contains("a count does not fit in u64"), "{what} panicked with {message:?}");
}

#[test]
fn budget_and_network_counts_past_u64_are_refused_not_wrapped() {
    // Each count below passes u64 even with a 32-bit usize.
    let wide = u32::MAX as usize;
    let square = Ledger::new(wide, wide, wide, true, 4, "f32");
    assert_refused("forward_ram_bytes", || square.forward_ram_bytes());
    assert_refused("budget::forward_ram_bytes", || budget::forward_ram_bytes(wide, wide, wide, 4));
    // (2³² − 1)·2³² parameters plus 2·(2³³ − 2) activations, one byte each.
    assert_refused("training_ram_bytes", || Ledger::new(wide, wide, 1, true, 1, "u8").training_ram_bytes());
    assert_refused("budget::training_ram_bytes", || budget::training_ram_bytes(1, wide, wide, true, 1));

    let one = |din: usize, dout: usize, batch: usize| {
        NetworkLedger::single(LayerRow::new(din, dout, "identity"), 4, "f32").with_batch(batch)
    };
    let two = |batch: usize| {
        NetworkLedger::single(LayerRow::new(wide, wide, "relu"), 4, "f32")
            .then(NetworkLedger::single(LayerRow::new(wide, wide, "identity"), 4, "f32"))
            .with_batch(batch)
    };
    // Two layers of (2³² − 1)·2³² parameters, of (2³² − 1)² multiply-adds each.
    assert_refused("params", || two(1).params());
    assert_refused("multiply_adds_per_row", || two(1).multiply_adds_per_row());
    assert_refused("forward_flops", || one(wide, wide, 1).forward_flops());
    assert_refused("backward_flops", || one(wide, wide, 1).backward_flops());
    // 3·2⁶⁰ − 3·2²⁸ multiply-adds: forward and backward fit, their sum does not.
    let tall = one(wide, 3 << 28, 1);
    let (forward, backward) = (tall.forward_flops(), tall.backward_flops());
    let macs = u128::from(u32::MAX) * (3 << 28);
    assert_eq!((u128::from(forward), u128::from(backward)), (2 * macs, 4 * macs));
    assert_refused("training_flops", || tall.training_flops());
    // Two scratch buffers of (2³² − 1)² elements.
    assert_refused("scratch_bytes", || two(wide).scratch_bytes());
    // X and Y of (2³² − 1)² elements each.
    assert_refused("inference_activation_bytes", || one(wide, wide, wide).inference_activation_bytes());
    assert_refused("training_activation_bytes", || one(wide, wide, wide).training_activation_bytes());
    // Z and A of (2³² − 1)² elements each.
    assert_refused("trace_bytes", || one(1, wide, wide).trace_bytes());

    // With a 64-bit usize a single width can pass u64 once scaled; a 32-bit
    // one cannot, so the stack bounds can only overflow here.
    #[cfg(target_pointer_width = "64")]
    {
        assert_refused("forward_stack_bytes", || budget::forward_stack_bytes(1, usize::MAX, 1));
        assert_refused("backward_stack_bytes", || budget::backward_stack_bytes(1, usize::MAX, 1, 1));
        // One-byte elements, so that the row itself still fits.
        let bytes = |din: usize, dout: usize| NetworkLedger::single(LayerRow::new(din, dout, "identity"), 1, "u8");
        assert_refused("network forward_stack_bytes", || bytes(1, usize::MAX).forward_stack_bytes());
        assert_refused("network backward_stack_bytes", || bytes(usize::MAX, 1).backward_stack_bytes());
        // The review's case: a release build returned 0.
        assert_refused("trace_bytes", || one(1 << 32, 1 << 32, 1 << 40).trace_bytes());
    }
}

#[test]
#[should_panic(expected = "does not fit in u64")]
fn counts_past_u64_are_refused_not_wrapped() {
    let absurd = Ledger::new(usize::MAX, usize::MAX, usize::MAX, true, 8, "f64");
    let _ = absurd.forward_flops();
}

#[test]
fn ledger_prints_the_models_table() {
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
