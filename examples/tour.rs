//! A tour of tinylinear on the worked example of docs/linear-layer.md: batch 32, 128 → 64.
//!
//! Prints the shape ledger, runs a forward and a backward pass, checks the
//! gradients against central differences, and names the kernel path.
//!
//! ```text
//! cargo run --release --example tour
//! ```

use tinylinear::gradcheck::{Settings, check_linear};
use tinylinear::{BACKEND, Grads, Linear};

const B: usize = 32;
type Layer = Linear<128, 64>;

// The budget a firmware build would assert: parameters fit in 64 KiB of flash.
const _: () = assert!(Layer::PARAM_BYTES <= 64 * 1024);

fn main() {
    println!("tinylinear tour — kernel path: {BACKEND}\n");
    println!("{}\n", Layer::ledger(B));

    // Forward and backward on seeded data.
    let layer = Layer::torch_init(1);
    let x: [[f32; 128]; B] = core::array::from_fn(|r| core::array::from_fn(|k| ((r * 128 + k) as f32 * 0.37).sin()));
    let mut y = [[0.0f32; 64]; B];
    layer.forward(&x, &mut y);
    let target = [[0.0f32; 64]; B];
    let loss = tinylinear::gradcheck::half_squared_error(&y, &target);
    println!("forward:  Y is {B} × 64; loss ½‖Y‖² = {loss:.6}");

    let dy = y; // ∂(½‖Y‖²)/∂Y = Y
    let mut dx = [[0.0f32; 128]; B];
    let mut grads = Grads::zeroed();
    layer.backward_overwrite(&x, &dy, &mut dx, &mut grads);
    let norm = |v: &[f32]| v.iter().map(|&a| f64::from(a) * f64::from(a)).sum::<f64>().sqrt();
    println!(
        "backward: ‖dW‖ = {:.6}, ‖db‖ = {:.6}, ‖dX‖ = {:.6}",
        norm(grads.weight.as_flattened()),
        norm(&grads.bias),
        norm(dx.as_flattened())
    );

    // One SGD step lowers the loss.
    let mut stepped = layer.clone();
    stepped.sgd_step(&grads, 1e-4);
    stepped.forward(&x, &mut y);
    let after = tinylinear::gradcheck::half_squared_error(&y, &target);
    println!("sgd:      one step at lr 1e-4 takes the loss from {loss:.6} to {after:.6}\n");

    // The finite-difference test of docs/linear-layer.md.
    println!("gradient check, f64, ε = 1e-5 (docs/linear-layer.md: rel < 1e-7 means right, ≥ 1e-2 means a bug):");
    let layer64 = Linear::<128, 64, f64>::torch_init(1);
    let x64 = x.map(|row| row.map(f64::from));
    let target64 = [[0.25f64; 64]; B];
    let report = check_linear(&layer64, &x64, &target64, Settings::F64.every(7), |l, x, dy, dx, g| {
        l.backward_overwrite(x, dy, dx, g)
    });
    print!("{report}");
    let f64_agrees = report.max_relative_error() < 1e-7;
    println!("  => worst {:.2e}: {}\n", report.max_relative_error(), verdict(f64_agrees));

    println!("gradient check, f32, ε = 0.1 (bound rel < 1e-2):");
    let target32 = [[0.25f32; 64]; B];
    let report = check_linear(&layer, &x, &target32, Settings::F32.every(7), |l, x, dy, dx, g| {
        l.backward_overwrite(x, dy, dx, g)
    });
    print!("{report}");
    let f32_agrees = report.max_relative_error() < 1e-2;
    println!("  => worst {:.2e}: {}", report.max_relative_error(), verdict(f32_agrees));

    println!("\nAt scale (a Llama-style MLP projection, 4096 → 11008, f32):");
    type Mlp = Linear<4096, 11008>;
    println!("  parameters {} = {} bytes", Mlp::PARAMS, Mlp::PARAM_BYTES);
    println!("  output activation at sequence length 2048: {} bytes", Mlp::output_bytes(2048));
    println!("  forward FLOPs at 2048 tokens: {}", Mlp::forward_flops(2048));

    if !(f64_agrees && f32_agrees) {
        std::process::exit(1);
    }
}

fn verdict(agree: bool) -> &'static str {
    if agree { "gradients agree" } else { "GRADIENTS DISAGREE" }
}
