//! Deterministic, `no_std` initialisation in the style of PyTorch's `nn.Linear`.

use crate::element::Element;
use rand_core::Rng as _;
use rand_pcg::Pcg32;

/// PCG stream for every layer initialisation; the seed picks the state.
const STREAM: u64 = 0x7469_6e79_6c69_6e65; // "tinyline"

/// Uniform draws from `U(−1/√fan_in, 1/√fan_in)`: the bound PyTorch's
/// `nn.Linear.reset_parameters` gives both the weight and the bias.
///
/// The generator is PCG32 (`rand_pcg`, whose output is stable across
/// versions), so one seed gives the same layer on every target and release.
pub(crate) struct TorchUniform {
    rng: Pcg32,
    bound: f64,
}

impl TorchUniform {
    pub(crate) fn new(seed: u64, fan_in: usize) -> Self {
        Self { rng: Pcg32::new(seed, STREAM), bound: 1.0 / libm::sqrt(fan_in as f64) }
    }

    /// Overwrites `values`, in order, with fresh draws.
    pub(crate) fn fill<T: Element>(&mut self, values: &mut [T]) {
        for value in values {
            // 53 random bits make a uniform f64 in [0, 1) with every step equal.
            let unit = (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
            *value = T::from_f64((2.0 * unit - 1.0) * self.bound);
        }
    }
}
