//! The numbers a firmware engineer budgets, beyond the parameters: RAM for
//! the activations and the training scratch at a batch size, and the stack
//! the forward and backward passes need. All `u64`, all `const`.
//!
//! | item | formula (p = bytes per element) | holds |
//! |---|---|---|
//! | `param_bytes` | `p·(d_in·d_out + d_out)` | W and b: flash, for a `static` layer |
//! | `forward_ram_bytes` | `p·B·(d_in + d_out)` | the input X and the output Y |
//! | `training_ram_bytes` | `p·(2·B·(d_in + d_out) + params)` | X, Y, dY, dX and the gradients dW, db |
//! | `forward_stack_bytes` | `FORWARD_STACK_FRAME + p·d_out` (+ the packed block) | the deepest stack of one forward call |
//! | `backward_stack_bytes` | `BACKWARD_STACK_FRAME + p·(d_in + d_out)` (+ the largest packed block) | the deepest stack of one backward call at a batch size |
//!
//! The stack bound is an allowance, not a derivation: the forward kernels
//! call nothing but `memcpy`/`memset`, never recurse, and keep at most one
//! register tile of accumulators (12 vectors of 32 bytes on AVX2/NEON) and
//! one output row in flight. On SIMD backends, a layer whose panels of W
//! would claim too much of L2 in place (more than 512 KiB of W, with rows a
//! power of two apart: 512 × 512 f32, not 256 × 256) also packs panels of
//! W into a block on the stack (16 KiB on SSE2, 32 KiB on AVX and NEON),
//! which the bound then includes; the scalar path of microcontrollers
//! never packs. `examples/firmware` paints the stack of a Cortex-M4F, runs
//! the forward and fails if the high-water mark passes it.
//!
//! The backward's bound is the same kind of allowance, with more room for
//! frames (dX and dW run as calls of their own, with register tiles that
//! may spill) and a row of dX beside a row of dY. On SIMD hosts it adds
//! the largest block a backward call packs at that batch: Wᵀ for dX (AVX
//! builds, batches of two row tiles or more: up to 32 KiB, 64 KiB with
//! AVX-512), or panels of dY and slices of X for dW (large layers at large
//! batches: 64 KiB on SSE2, 128 KiB with AVX and NEON, 256 KiB with
//! AVX-512, and up to 32 KiB of X). The firmware paints its stack before
//! its training step too, and `examples/stack_bounds` checks both bounds
//! on a host build, each pass on a thread given just its bound.
//!
//! Like every ledger count (see [`cost`]), these never wrap or saturate:
//! widths are summed in `u64`, not in a 32-bit `usize`, and a number past
//! `u64` is a compile error in `const` context and a panic at run time.
//!
//! # Examples
//!
//! ```
//! use tinylinear::Linear;
//! type Hidden = Linear<16, 32>;
//! const FLASH: u64 = 4 * 1024 * 1024;
//! const RAM: u64 = 64 * 1024;
//! const _: () = assert!(Hidden::PARAM_BYTES <= FLASH);
//! const _: () = assert!(Hidden::training_ram_bytes(8) + Hidden::backward_stack_bytes(8) <= RAM);
//! assert_eq!(Hidden::forward_ram_bytes(8), 4 * 8 * (16 + 32));
//! ```

use super::cost;
use super::layer_ledger::Ledger;
use crate::element::Element;
use crate::layer::{Linear, LinearNoBias};

/// Stack bytes the forward pass may use besides one output row: saved
/// registers, spilled accumulators and the call's own frame. 512 on the
/// scalar path, whose spills are single elements, 2 KiB with SIMD tiles,
/// whose spills are vectors. `examples/firmware` and
/// `examples/stack_bounds` check the bound, and the latter prints the
/// stack each pass needs beside it.
pub const FORWARD_STACK_FRAME: u64 = if crate::kernel::SIMD { 2048 } else { 512 };

/// Stack bytes the backward pass may use besides a row of dX, a row of dY
/// and its packed block: the frames of dX's and dW's kernels and what
/// their tiles spill. 1 KiB on the scalar path, room for targets with
/// few floating-point registers (i586's x87), 4 KiB with SIMD tiles,
/// whose spills are vectors. The same examples check this bound.
pub const BACKWARD_STACK_FRAME: u64 = if crate::kernel::SIMD { 4096 } else { 1024 };

/// `B·(d_in + d_out)`: the elements of X and Y, summed in `u64` so that a
/// 32-bit `usize` cannot wrap.
const fn input_and_output_elements(batch: usize, din: usize, dout: usize) -> u64 {
    cost::mul(batch as u64, cost::add(din as u64, dout as u64))
}

/// `p·B·(d_in + d_out)`: the input X and the output Y of one forward pass.
#[must_use]
pub const fn forward_ram_bytes(batch: usize, din: usize, dout: usize, elem_bytes: usize) -> u64 {
    cost::bytes(input_and_output_elements(batch, din, dout), elem_bytes)
}

/// `p·(2·B·(d_in + d_out) + params)`: X, Y, dY, dX and the gradients of one training step.
#[must_use]
pub const fn training_ram_bytes(batch: usize, din: usize, dout: usize, bias: bool, elem_bytes: usize) -> u64 {
    let activations = cost::mul(2, input_and_output_elements(batch, din, dout));
    cost::bytes(cost::add(activations, cost::params(din, dout, bias)), elem_bytes)
}

/// The bound on the forward's stack: [`FORWARD_STACK_FRAME`] `+ p·d_out`,
/// plus the packed block of W where the compiled-in kernels pack one.
#[must_use]
pub const fn forward_stack_bytes(din: usize, dout: usize, elem_bytes: usize) -> u64 {
    let packed = crate::kernel::forward_pack_stack_bytes(din, dout, elem_bytes);
    let row = cost::bytes(dout as u64, elem_bytes);
    cost::add(cost::add(FORWARD_STACK_FRAME, row), packed)
}

/// The bound on the backward's stack at batch `batch`: [`BACKWARD_STACK_FRAME`]
/// `+ p·(d_in + d_out)`, plus the largest block the compiled-in kernels
/// pack at that batch.
#[must_use]
pub const fn backward_stack_bytes(batch: usize, din: usize, dout: usize, elem_bytes: usize) -> u64 {
    let packed = crate::kernel::backward_pack_stack_bytes(batch, din, dout, elem_bytes);
    let rows = cost::bytes(cost::add(din as u64, dout as u64), elem_bytes);
    cost::add(cost::add(BACKWARD_STACK_FRAME, rows), packed)
}

impl Ledger {
    /// RAM for X and Y at this batch: `p·B·(d_in + d_out)`.
    #[must_use]
    pub const fn forward_ram_bytes(&self) -> u64 {
        forward_ram_bytes(self.batch, self.din, self.dout, self.elem_bytes)
    }

    /// RAM for one training step at this batch: X, Y, dY, dX, dW and db.
    #[must_use]
    pub const fn training_ram_bytes(&self) -> u64 {
        training_ram_bytes(self.batch, self.din, self.dout, self.bias, self.elem_bytes)
    }

    /// The bound on the stack of one forward call.
    #[must_use]
    pub const fn forward_stack_bytes(&self) -> u64 {
        forward_stack_bytes(self.din, self.dout, self.elem_bytes)
    }

    /// The bound on the stack of one backward call at this batch.
    #[must_use]
    pub const fn backward_stack_bytes(&self) -> u64 {
        backward_stack_bytes(self.batch, self.din, self.dout, self.elem_bytes)
    }
}

/// The budget items for both layer types.
macro_rules! budget_items {
    ($layer:ident, $bias:literal) => {
        impl<const DIN: usize, const DOUT: usize, T: Element> $layer<DIN, DOUT, T> {
            /// The bound on the stack one forward call uses (see [`ledger::budget`](crate::ledger::budget)).
            pub const FORWARD_STACK_BYTES: u64 = forward_stack_bytes(DIN, DOUT, T::BYTES);

            /// RAM for the input X and the output Y of a forward pass at batch `batch`.
            #[must_use]
            pub const fn forward_ram_bytes(batch: usize) -> u64 {
                forward_ram_bytes(batch, DIN, DOUT, T::BYTES)
            }

            /// RAM for one training step at batch `batch`: X, Y, dY, dX and the gradients.
            #[must_use]
            pub const fn training_ram_bytes(batch: usize) -> u64 {
                training_ram_bytes(batch, DIN, DOUT, $bias, T::BYTES)
            }

            /// The bound on the stack one backward call at batch `batch`
            /// uses (see [`ledger::budget`](crate::ledger::budget)).
            #[must_use]
            pub const fn backward_stack_bytes(batch: usize) -> u64 {
                backward_stack_bytes(batch, DIN, DOUT, T::BYTES)
            }
        }
    };
}

budget_items!(Linear, true);
budget_items!(LinearNoBias, false);
