//! An MLP in firmware in ten lines: the network is a `static` built by
//! `const fn`s (so it sits in flash), its flash and RAM budgets are
//! compile-time assertions, and inference needs two stack buffers whose
//! size is a constant. The ten lines: the `use` of the network types, the
//! network's type, its `static` (four lines), two budget assertions, and
//! two lines of inference; the rest is the host printing what they did.
//!
//! ```text
//! cargo run --example mlp_ten_lines
//! ```
//!
//! On a device, the same lines go in a `#![no_std]` crate; only the
//! `println!` below is host-only.

use tinylinear::Linear;
use tinylinear::network::{Chain, Dense, Network, PingPong, Relu, Sigmoid};

/// Weights by `const fn`: a fixed pattern standing in for trained values
/// (`examples/train_spirals.rs` writes real ones).
const fn weights<const DIN: usize, const DOUT: usize>() -> [[f32; DOUT]; DIN] {
    let mut w = [[0.0; DOUT]; DIN];
    let mut k = 0;
    while k < DIN {
        let mut j = 0;
        while j < DOUT {
            w[k][j] = ((k * 7 + j * 3) % 11) as f32 / 11.0 - 0.45;
            j += 1;
        }
        k += 1;
    }
    w
}

// ---- the ten lines (with the `use` line above and two in `main`) ----
type Net = Chain<Dense<4, 16, Relu>, Chain<Dense<16, 8, Relu>, Dense<8, 1, Sigmoid>>>;
static NET: Net = Chain::new(
    Dense::new(Linear::new(weights(), [0.01; 16]), Relu),
    Chain::new(Dense::new(Linear::new(weights(), [0.0; 8]), Relu), Dense::new(Linear::new(weights(), [0.0]), Sigmoid)),
);
const _: () = assert!(Net::PARAM_BYTES <= 2 * 1024, "weights must fit 2 KiB of flash");
const _: () = assert!(Net::LEDGER.with_batch(1).scratch_bytes() <= 128, "scratch must fit 128 bytes of stack");

fn main() {
    println!("{}\n", Net::LEDGER.with_batch(1));
    for x in [[0.0, 0.0, 0.0, 0.0], [1.0, -0.5, 0.25, 2.0], [-1.0, 1.0, -1.0, 1.0]] {
        // ---- the last two of the ten: inference, on the stack ----
        let (mut y, mut scratch) = ([[0.0]; 1], PingPong::<f32, { Net::SCRATCH_WIDTH }, 1>::zeroed());
        NET.forward(&[x], &mut y, &mut scratch);
        println!("NET({x:?}) = {:.6}", y[0][0]);
    }
}
