//! [`Dense`]: one linear layer and its activation, the building block of every network.

use super::activation::{Activation, Identity};
use super::buffers::{PingPong, rows};
use super::ledger::{LayerRow, NetworkLedger};
use super::net::Network;
use super::trace::DenseTrace;
use crate::element::Element;
use crate::kernel::{self, Update};
use crate::layer::{Grads, Linear};

/// A linear layer followed by an activation: `A = f(X·W + b)`.
///
/// The activation runs as the forward kernel's epilogue, so inference
/// makes one pass over the output, not two.
///
/// # Examples
///
/// ```
/// use tinylinear::Linear;
/// use tinylinear::network::{Dense, Relu};
/// let layer = Dense::new(Linear::<2, 2>::new([[1.0, -1.0], [1.0, -1.0]], [0.0; 2]), Relu);
/// let mut y = [[0.0; 2]];
/// layer.forward(&[[1.0, 2.0]], &mut y);
/// assert_eq!(y, [[3.0, 0.0]]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dense<const DIN: usize, const DOUT: usize, A = Identity, T: Element = f32> {
    /// The linear part, `X·W + b`.
    pub linear: Linear<DIN, DOUT, T>,
    /// The activation applied to each output.
    pub activation: A,
}

impl<const DIN: usize, const DOUT: usize, A, T: Element> Dense<DIN, DOUT, A, T> {
    /// A layer from its linear part and its activation. `const`, so a
    /// network can be a `static` in flash.
    #[must_use]
    pub const fn new(linear: Linear<DIN, DOUT, T>, activation: A) -> Self {
        Self { linear, activation }
    }
}

impl<const DIN: usize, const DOUT: usize, A: Activation<T>, T: Element> Dense<DIN, DOUT, A, T> {
    /// A layer initialised as PyTorch's `nn.Linear` (see [`Linear::torch_init`]).
    #[must_use]
    pub fn torch_init(seed: u64) -> Self {
        Self::new(Linear::torch_init(seed), A::default())
    }

    /// `Y = f(X·W + b)`, the activation fused into the kernel.
    pub fn forward<const B: usize>(&self, x: &[[T; DIN]; B], y: &mut [[T; DOUT]; B]) {
        self.forward_rows(x, y);
    }

    pub(super) fn forward_rows(&self, x: &[[T; DIN]], y: &mut [[T; DOUT]]) {
        kernel::forward_with(x, &self.linear.weight, Some(&self.linear.bias), y, self.activation);
    }

    /// Forward for training: keeps `Z = X·W + b` and `A = f(Z)` in `trace`.
    pub(super) fn forward_cached<const B: usize>(&self, x: &[[T; DIN]; B], trace: &mut DenseTrace<DOUT, T, B>) {
        kernel::forward(x, &self.linear.weight, Some(&self.linear.bias), &mut trace.pre);
        for (out_row, pre_row) in trace.out.iter_mut().zip(&trace.pre) {
            for (out, &pre) in out_row.iter_mut().zip(pre_row) {
                *out = self.activation.apply(pre);
            }
        }
    }

    /// With `dA` in `trace.out`: turns it into `dZ = dA ⊙ f′(Z)` in place and
    /// writes `dW = Xᵀ·dZ`, `db = Σ_batch dZ` into `grads`.
    pub(super) fn backward_params<const B: usize>(
        &self,
        x: &[[T; DIN]; B],
        trace: &mut DenseTrace<DOUT, T, B>,
        grads: &mut Grads<DIN, DOUT, T>,
    ) {
        for (d_row, pre_row) in trace.out.iter_mut().zip(&trace.pre) {
            for (d, &pre) in d_row.iter_mut().zip(pre_row) {
                *d = *d * self.activation.derivative(pre);
            }
        }
        kernel::backward_weight(x, &trace.out, &mut grads.weight, Update::Overwrite);
        kernel::backward_bias(&trace.out, &mut grads.bias, Update::Overwrite);
    }

    /// `dX = dZ·Wᵀ`, with `dZ` in `trace.out` (after [`Self::backward_params`]).
    pub(super) fn backward_input<const B: usize>(&self, trace: &DenseTrace<DOUT, T, B>, dx: &mut [[T; DIN]; B]) {
        kernel::backward_input(&trace.out, &self.linear.weight, dx);
    }
}

/// `v = μ·v + g; θ −= lr·v` over a flat tensor.
fn momentum<T: Element>(params: &mut [T], grads: &[T], velocity: &mut [T], learning_rate: T, mu: T) {
    for ((p, &g), v) in params.iter_mut().zip(grads).zip(velocity.iter_mut()) {
        *v = mu * *v + g;
        *p -= learning_rate * *v;
    }
}

impl<const DIN: usize, const DOUT: usize, A: Activation<T>, T: Element> Network<T, DIN> for Dense<DIN, DOUT, A, T> {
    type Output = [T; DOUT];
    type Trace<const B: usize> = DenseTrace<DOUT, T, B>;
    type Grads = Grads<DIN, DOUT, T>;

    const LEDGER: NetworkLedger = NetworkLedger::single(LayerRow::new(DIN, DOUT, A::NAME), T::BYTES, T::NAME);
    const PARAMS: u64 = Linear::<DIN, DOUT, T>::PARAMS;
    const PARAM_BYTES: u64 = Linear::<DIN, DOUT, T>::PARAM_BYTES;
    const SCRATCH_WIDTH: usize = 0;

    fn trace<const B: usize>() -> Self::Trace<B> {
        DenseTrace::zeroed()
    }

    fn grads() -> Self::Grads {
        Grads::zeroed()
    }

    fn torch_init(seed: u64) -> Self {
        Dense::torch_init(seed)
    }

    fn forward<const B: usize, const W: usize>(
        &self,
        x: &[[T; DIN]; B],
        y: &mut [[T; DOUT]; B],
        _scratch: &mut PingPong<T, W, B>,
    ) {
        self.forward_rows(x, y);
    }

    fn forward_from(&self, input: &mut [T], _spare: &mut [T], y: &mut [[T; DOUT]]) {
        self.forward_rows(rows::<T, DIN>(input, y.len()), y);
    }

    fn forward_train<const B: usize>(&self, x: &[[T; DIN]; B], trace: &mut Self::Trace<B>) {
        self.forward_cached(x, trace);
    }

    fn output<const B: usize>(trace: &Self::Trace<B>) -> &[[T; DOUT]; B] {
        &trace.out
    }

    fn output_mut<const B: usize>(trace: &mut Self::Trace<B>) -> &mut [[T; DOUT]; B] {
        &mut trace.out
    }

    fn backward_from<const B: usize>(
        &self,
        x: &[[T; DIN]; B],
        trace: &mut Self::Trace<B>,
        grads: &mut Self::Grads,
        dx: Option<&mut [[T; DIN]; B]>,
    ) {
        self.backward_params(x, trace, grads);
        if let Some(dx) = dx {
            self.backward_input(trace, dx);
        }
    }

    fn backward_inner<const B: usize>(
        &self,
        io: &mut [[T; DIN]; B],
        trace: &mut Self::Trace<B>,
        grads: &mut Self::Grads,
    ) {
        self.backward_params(io, trace, grads);
        self.backward_input(trace, io);
    }

    fn sgd_step(&mut self, grads: &Self::Grads, learning_rate: T) {
        self.linear.sgd_step(grads, learning_rate);
    }

    fn momentum_step(&mut self, grads: &Self::Grads, velocity: &mut Self::Grads, learning_rate: T, mu: T) {
        let linear = &mut self.linear;
        momentum(
            linear.weight.as_flattened_mut(),
            grads.weight.as_flattened(),
            velocity.weight.as_flattened_mut(),
            learning_rate,
            mu,
        );
        momentum(&mut linear.bias, &grads.bias, &mut velocity.bias, learning_rate, mu);
    }

    fn param_mut(&mut self, at: usize) -> Option<&mut T> {
        let weights = DIN * DOUT;
        if at < weights {
            self.linear.weight.as_flattened_mut().get_mut(at)
        } else {
            self.linear.bias.get_mut(at - weights)
        }
    }

    fn grad(grads: &Self::Grads, at: usize) -> Option<T> {
        let weights = DIN * DOUT;
        if at < weights { grads.weight.as_flattened().get(at).copied() } else { grads.bias.get(at - weights).copied() }
    }
}
