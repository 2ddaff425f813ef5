//! Trains a small MLP on two interleaved spirals, from a fixed seed, with
//! the crate's network: no heap in the training loop, every buffer sized
//! at compile time.
//!
//! ```text
//! cargo run --release --example train_spirals [-- out-dir]
//! ```
//!
//! It prints the network's ledger, the loss as it falls, and the accuracy
//! on every point. Then it writes the trained layers to `l1.bin`, `l2.bin`
//! and `l3.bin` in `out-dir` (default: `target/spirals`), in the format of
//! [`tinylinear::bytes`], and reads them back: the files a firmware bakes
//! in with `Linear::<2, 32>::from_le_bytes_baked(include_bytes!("l1.bin"))`,
//! as `examples/firmware` does with its own model. Last, it exits with an
//! error if the accuracy stayed below 97 %.

use std::path::Path;
use tinylinear::network::{Chain, Dense, Identity, Network, PingPong, Tanh};
use tinylinear::{Error, Linear};

/// 2 → 32 → 32 → 1: two tanh hidden layers and a logit.
type Net = Chain<Dense<2, 32, Tanh>, Chain<Dense<32, 32, Tanh>, Dense<32, 1, Identity>>>;

const POINTS_PER_ARM: usize = 128;
const POINTS: usize = 2 * POINTS_PER_ARM;
const BATCH: usize = 32;
const EPOCHS: usize = 600;
const LEARNING_RATE: f32 = 0.05;
const MOMENTUM: f32 = 0.9;
const TARGET_ACCURACY: f64 = 0.97;

/// A small deterministic generator (SplitMix64), so the data set is the same everywhere.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f32 {
        ((self.next() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    /// Uniform in 0..n.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Two spirals, each 1.75 turns, radius up to 1, with a little noise; label 0 or 1.
fn spirals(rng: &mut SplitMix) -> ([[f32; 2]; POINTS], [f32; POINTS]) {
    let mut x = [[0.0; 2]; POINTS];
    let mut label = [0.0; POINTS];
    for i in 0..POINTS_PER_ARM {
        let t = i as f32 / POINTS_PER_ARM as f32;
        let (radius, angle) = (0.1 + 0.9 * t, 1.75 * 2.0 * core::f32::consts::PI * t);
        for arm in 0..2 {
            let turn = angle + arm as f32 * core::f32::consts::PI;
            let at = 2 * i + arm;
            x[at] = [radius * turn.cos() + 0.02 * rng.unit(), radius * turn.sin() + 0.02 * rng.unit()];
            label[at] = arm as f32;
        }
    }
    (x, label)
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// Binary cross-entropy of logit `z` against `label`, stably: `max(z, 0) − z·y + ln(1 + e^−|z|)`.
fn bce_with_logits(z: f32, label: f32) -> f32 {
    z.max(0.0) - z * label + (-z.abs()).exp().ln_1p()
}

/// Writes one layer as a `tinylinear::bytes` file.
fn write_layer<const DIN: usize, const DOUT: usize>(path: &Path, layer: &Linear<DIN, DOUT>) -> std::io::Result<usize> {
    let mut bytes = vec![0; Linear::<DIN, DOUT>::BYTE_LEN];
    layer.write_le_bytes(&mut bytes).map_err(std::io::Error::other)?;
    std::fs::write(path, &bytes)?;
    Ok(bytes.len())
}

/// Reads back one layer written by [`write_layer`], checking its header.
fn read_layer<const DIN: usize, const DOUT: usize>(
    path: &Path,
) -> Result<Linear<DIN, DOUT>, Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path)?;
    Linear::<DIN, DOUT>::from_le_bytes(&bytes).map_err(|error: Error| format!("{}: {error}", path.display()).into())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("{}\n", <Net as Network<f32, 2>>::LEDGER.with_batch(BATCH));

    let mut rng = SplitMix(2026);
    let (points, labels) = spirals(&mut rng);
    let mut net: Net = Network::torch_init(7);
    let mut trace = Net::trace::<BATCH>();
    let mut grads = Net::grads();
    let mut velocity = Net::grads();
    let mut order: [usize; POINTS] = core::array::from_fn(|i| i);

    for epoch in 0..=EPOCHS {
        // Fisher–Yates from the fixed seed.
        for i in (1..POINTS).rev() {
            order.swap(i, rng.below(i + 1));
        }
        let mut epoch_loss = 0.0;
        for batch in order.chunks_exact(BATCH) {
            let x: [[f32; 2]; BATCH] = core::array::from_fn(|r| points[batch[r]]);
            net.forward_train(&x, &mut trace);
            // dL/dz of the mean BCE is (σ(z) − y) / B.
            let mut dy = [[0.0; 1]; BATCH];
            for (r, (&[z], d)) in Net::output(&trace).iter().zip(&mut dy).enumerate() {
                let label = labels[batch[r]];
                epoch_loss += bce_with_logits(z, label);
                d[0] = (sigmoid(z) - label) / BATCH as f32;
            }
            net.backward(&x, &mut trace, &dy, &mut grads, None);
            net.momentum_step(&grads, &mut velocity, LEARNING_RATE, MOMENTUM);
        }
        if epoch % 50 == 0 {
            println!("epoch {epoch:>4}: mean loss {:.4}", epoch_loss / POINTS as f32);
        }
    }

    // Accuracy on every point, through the inference path (fused activations, ping-pong buffers).
    let mut correct = 0;
    let mut scratch = PingPong::<f32, { Net::SCRATCH_WIDTH }, BATCH>::zeroed();
    for start in (0..POINTS).step_by(BATCH) {
        let x: [[f32; 2]; BATCH] = core::array::from_fn(|r| points[start + r]);
        let mut logits = [[0.0; 1]; BATCH];
        net.forward(&x, &mut logits, &mut scratch);
        for (r, [z]) in logits.iter().enumerate() {
            correct += usize::from((*z > 0.0) == (labels[start + r] > 0.5));
        }
    }
    let accuracy = correct as f64 / POINTS as f64;
    println!("accuracy: {correct}/{POINTS} = {:.1} %", 100.0 * accuracy);

    let dir = std::env::args().nth(1).unwrap_or_else(|| "target/spirals".into());
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    let written = write_layer(&dir.join("l1.bin"), &net.first.linear)?
        + write_layer(&dir.join("l2.bin"), &net.rest.first.linear)?
        + write_layer(&dir.join("l3.bin"), &net.rest.rest.linear)?;
    println!("wrote {written} bytes of weights (three 20-byte headers and the parameters) to {}", dir.display());

    // Read them back into another network: the same network, bit for bit.
    let loaded: Net = Chain::new(
        Dense::new(read_layer(&dir.join("l1.bin"))?, Tanh),
        Chain::new(
            Dense::new(read_layer(&dir.join("l2.bin"))?, Tanh),
            Dense::new(read_layer(&dir.join("l3.bin"))?, Identity),
        ),
    );
    assert!(loaded == net, "the weights files do not round-trip");
    println!("read them back: the same network, bit for bit");

    if accuracy < TARGET_ACCURACY {
        return Err(format!("accuracy {accuracy:.3} below the stated {TARGET_ACCURACY}").into());
    }
    Ok(())
}
