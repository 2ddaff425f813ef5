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
