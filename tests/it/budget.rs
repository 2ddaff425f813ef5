//! The firmware budget numbers, checked against sizes the compiler knows.

use core::mem::size_of;
use tinylinear::ledger::budget;
use tinylinear::{Grads, Linear, LinearNoBias};

#[test]
fn ram_budgets_equal_the_sizes_of_the_buffers_they_count() {
    const B: usize = 8;
    type L = Linear<16, 32>;
    let forward = size_of::<[[f32; 16]; B]>() + size_of::<[[f32; 32]; B]>();
    assert_eq!(L::forward_ram_bytes(B), forward as u64);
    // X, Y, dY, dX and the gradients.
    let training = 2 * forward + size_of::<Grads<16, 32>>();
    assert_eq!(L::training_ram_bytes(B), training as u64);
    assert_eq!(L::ledger(B).training_ram_bytes(), training as u64);
    assert_eq!(L::PARAM_BYTES, size_of::<L>() as u64);

    type N = LinearNoBias<5, 3, f64>;
    assert_eq!(N::training_ram_bytes(2), (2 * 8 * 2 * (5 + 3) + 8 * 15) as u64);
}

#[test]
fn the_stack_bound_grows_with_one_output_row() {
    assert_eq!(budget::FORWARD_STACK_FRAME, if tinylinear::BACKEND == "scalar" { 512 } else { 2048 });
    assert_eq!(Linear::<4, 10>::FORWARD_STACK_BYTES, budget::FORWARD_STACK_FRAME + 40);
    assert_eq!(Linear::<4, 10, f64>::FORWARD_STACK_BYTES, budget::FORWARD_STACK_FRAME + 80);
    assert_eq!(Linear::<4, 10>::ledger(1).forward_stack_bytes(), Linear::<4, 10>::FORWARD_STACK_BYTES);
}

#[test]
fn the_stack_bound_counts_the_packed_block_where_the_kernels_pack() {
    // 512 × 512 f32 is 1 MiB of W: the SIMD forward packs 512-row panels of
    // it into a 16 KiB (SSE2) or 32 KiB (AVX, NEON, AVX-512) block on the
    // stack.
    let row_and_frame = budget::FORWARD_STACK_FRAME + 512 * 4;
    let bound = Linear::<512, 512>::FORWARD_STACK_BYTES;
    if tinylinear::BACKEND == "scalar" {
        assert_eq!(bound, row_and_frame);
    } else {
        assert!(bound >= row_and_frame + 8 * 1024, "{bound} bytes leave out the packed block");
    }
    assert_eq!(Linear::<512, 512>::ledger(64).forward_stack_bytes(), bound);
    // 256 × 256 f32 rows lie 1 KiB apart: read in place, a panel's 256 rows
    // claim 256 KiB of cache, so the forward never packs it and the bound
    // has no block.
    assert_eq!(Linear::<256, 256>::FORWARD_STACK_BYTES, budget::FORWARD_STACK_FRAME + 256 * 4);
}

#[test]
fn the_backward_stack_bound_counts_both_rows_and_its_frame() {
    let frame = budget::BACKWARD_STACK_FRAME;
    assert_eq!(frame, if tinylinear::BACKEND == "scalar" { 1024 } else { 4096 });
    // A batch of 3 packs nothing on any backend.
    assert_eq!(Linear::<4, 10>::backward_stack_bytes(3), frame + 4 * (4 + 10));
    assert_eq!(Linear::<4, 10, f64>::backward_stack_bytes(3), frame + 8 * (4 + 10));
    assert_eq!(LinearNoBias::<4, 10>::backward_stack_bytes(3), Linear::<4, 10>::backward_stack_bytes(3));
    assert_eq!(Linear::<4, 10>::ledger(3).backward_stack_bytes(), Linear::<4, 10>::backward_stack_bytes(3));
}

#[test]
fn the_backward_stack_bound_counts_the_largest_block_each_backend_packs() {
    let rows_and_frame = |din: u64, dout: u64, elem: u64| budget::BACKWARD_STACK_FRAME + elem * (din + dout);
    // f32 512 → 512 at batch 128: dW packs 16 panels of dY, 128 rows deep
    // (one or two vectors of 32 bytes, two of 64 with AVX-512), and copies
    // four row tiles' slices of X (`FORWARD_ROWS` inputs each); dX's block
    // of Wᵀ (AVX: 512 rows × 2 vectors) is smaller.
    let packed: u64 = match tinylinear::BACKEND {
        "scalar" => 0,
        "sse2" | "simd128" => 16 * 128 * 32 + 4 * 128 * 4 * 4,
        "avx2+fma" | "avx" | "neon" => 16 * 128 * 2 * 32 + 4 * 128 * 6 * 4,
        "avx512" => 16 * 128 * 2 * 64 + 4 * 128 * 8 * 4,
        other => panic!("no expectation for the backend {other}"),
    };
    assert_eq!(Linear::<512, 512>::backward_stack_bytes(128), rows_and_frame(512, 512, 4) + packed);
    assert_eq!(Linear::<512, 512>::ledger(128).backward_stack_bytes(), rows_and_frame(512, 512, 4) + packed);
    // Below two row tiles nothing packs.
    assert_eq!(Linear::<512, 512>::backward_stack_bytes(8), rows_and_frame(512, 512, 4));
    // f64 128 → 64 at batch 32: W is 64 KiB, too small for dW to pack;
    // dX packs Wᵀ 64 rows deep, two vectors wide, on AVX builds only.
    let packed: u64 = match tinylinear::BACKEND {
        "avx2+fma" | "avx" => 64 * 2 * 32,
        "avx512" => 64 * 2 * 64,
        _ => 0,
    };
    assert_eq!(Linear::<128, 64, f64>::backward_stack_bytes(32), rows_and_frame(128, 64, 8) + packed);
}

#[test]
fn a_networks_stack_bounds_are_its_deepest_layers_and_a_call_per_layer_after_the_first() {
    use tinylinear::network::{Chain, Dense, LAYER_CALL_STACK_BYTES, Network, Relu};
    type Net = Chain<Dense<512, 512, Relu>, Chain<Dense<512, 256, Relu>, Dense<256, 10>>>;
    let ledger = <Net as Network<f32, 512>>::LEDGER.with_batch(128);
    // The 512 → 512 layer is the deepest in both passes on every backend:
    // the widest rows, and the only layer whose forward packs.
    assert_eq!(ledger.forward_stack_bytes(), Linear::<512, 512>::FORWARD_STACK_BYTES + 2 * LAYER_CALL_STACK_BYTES);
    assert_eq!(
        ledger.backward_stack_bytes(),
        Linear::<512, 512>::backward_stack_bytes(128) + 2 * LAYER_CALL_STACK_BYTES
    );
    // A single layer adds nothing to its own bounds.
    let single = <Dense<256, 10> as Network<f32, 256>>::LEDGER.with_batch(4);
    assert_eq!(single.forward_stack_bytes(), Linear::<256, 10>::FORWARD_STACK_BYTES);
    assert_eq!(single.backward_stack_bytes(), Linear::<256, 10>::backward_stack_bytes(4));
}
