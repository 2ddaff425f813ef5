//! [`Chain`]: one layer in front of the rest of a network.

use super::activation::Activation;
use super::buffers::{PingPong, rows, rows_mut};
use super::dense::Dense;
use super::ledger::{LayerRow, NetworkLedger};
use super::net::Network;
use super::trace::{DenseTrace, Link};
use crate::element::Element;
use crate::layer::{Grads, Linear};

/// One layer followed by the rest of a network.
///
/// `Chain<Dense<DIN, H, A, T>, R>` is a network taking `DIN` inputs when `R`
/// is a network taking `H`. Build it with [`Chain::new`] or [`mlp!`](crate::mlp).
///
/// # Examples
///
/// ```
/// use tinylinear::network::{Chain, Dense, Network, Relu, Sigmoid};
/// let net = Chain::new(Dense::<3, 5, Relu>::torch_init(1), Dense::<5, 2, Sigmoid>::torch_init(2));
/// assert_eq!(<Chain<Dense<3, 5, Relu>, Dense<5, 2, Sigmoid>> as Network<f32, 3>>::PARAMS, 20 + 12);
/// # let _ = net;
/// ```
///
/// A layer that does not take the previous layer's outputs does not compile:
///
/// ```compile_fail
/// use tinylinear::network::{Chain, Dense, Relu};
/// let net = Chain::new(Dense::<128, 64, Relu>::torch_init(1), Dense::<32, 10>::torch_init(2));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Chain<First, Rest> {
    /// The first layer.
    pub first: First,
    /// Everything after it.
    pub rest: Rest,
}

impl<const DIN: usize, const H: usize, A, T: Element, R> Chain<Dense<DIN, H, A, T>, R> {
    /// `first`, then `rest`, which must take the `H` outputs of `first`.
    #[must_use]
    pub const fn new(first: Dense<DIN, H, A, T>, rest: R) -> Self
    where
        R: Network<T, H>,
    {
        Self { first, rest }
    }
}

impl<const DIN: usize, const H: usize, A: Activation<T>, T: Element, R: Network<T, H>> Network<T, DIN>
    for Chain<Dense<DIN, H, A, T>, R>
{
    type Output = R::Output;
    type Trace<const B: usize> = Link<DenseTrace<H, T, B>, R::Trace<B>>;
    type Grads = Link<Grads<DIN, H, T>, R::Grads>;

    const LEDGER: NetworkLedger =
        NetworkLedger::single(LayerRow::new(DIN, H, A::NAME), T::BYTES, T::NAME).then(R::LEDGER);
    // Summed layer by layer rather than read from the ledger, so that
    // networks deeper than the ledger's MAX_LAYERS still run.
    const PARAMS: u64 = crate::ledger::cost::add(Linear::<DIN, H, T>::PARAMS, R::PARAMS);
    const PARAM_BYTES: u64 = crate::ledger::cost::add(Linear::<DIN, H, T>::PARAM_BYTES, R::PARAM_BYTES);
    const SCRATCH_WIDTH: usize = if H > R::SCRATCH_WIDTH { H } else { R::SCRATCH_WIDTH };

    fn trace<const B: usize>() -> Self::Trace<B> {
        Link { first: DenseTrace::zeroed(), rest: R::trace() }
    }

    fn grads() -> Self::Grads {
        Link { first: Grads::zeroed(), rest: R::grads() }
    }

    fn torch_init(seed: u64) -> Self {
        Self { first: Dense::torch_init(seed), rest: R::torch_init(seed.wrapping_add(1)) }
    }

    fn forward<const B: usize, const W: usize>(
        &self,
        x: &[[T; DIN]; B],
        y: &mut [Self::Output; B],
        scratch: &mut PingPong<T, W, B>,
    ) {
        const {
            assert!(
                W >= <Self as Network<T, DIN>>::SCRATCH_WIDTH,
                "the PingPong buffers are narrower than the network's widest hidden layer (SCRATCH_WIDTH)"
            );
        }
        let (ping, pong) = scratch.halves();
        self.first.forward_rows(x, rows_mut::<T, H>(ping, B));
        self.rest.forward_from(ping, pong, y);
    }

    fn forward_from(&self, input: &mut [T], spare: &mut [T], y: &mut [Self::Output]) {
        let n = y.len();
        self.first.forward_rows(rows::<T, DIN>(input, n), rows_mut::<T, H>(spare, n));
        // The input has been read: it becomes the next layer's spare.
        self.rest.forward_from(spare, input, y);
    }

    fn forward_train<const B: usize>(&self, x: &[[T; DIN]; B], trace: &mut Self::Trace<B>) {
        self.first.forward_cached(x, &mut trace.first);
        self.rest.forward_train(&trace.first.out, &mut trace.rest);
    }

    fn output<const B: usize>(trace: &Self::Trace<B>) -> &[Self::Output; B] {
        R::output(&trace.rest)
    }

    fn output_mut<const B: usize>(trace: &mut Self::Trace<B>) -> &mut [Self::Output; B] {
        R::output_mut(&mut trace.rest)
    }

    fn backward_from<const B: usize>(
        &self,
        x: &[[T; DIN]; B],
        trace: &mut Self::Trace<B>,
        grads: &mut Self::Grads,
        dx: Option<&mut [[T; DIN]; B]>,
    ) {
        // The rest reads this layer's output as its input and leaves dA there.
        self.rest.backward_inner(&mut trace.first.out, &mut trace.rest, &mut grads.rest);
        self.first.backward_from(x, &mut trace.first, &mut grads.first, dx);
    }

    fn backward_inner<const B: usize>(
        &self,
        io: &mut [[T; DIN]; B],
        trace: &mut Self::Trace<B>,
        grads: &mut Self::Grads,
    ) {
        self.rest.backward_inner(&mut trace.first.out, &mut trace.rest, &mut grads.rest);
        self.first.backward_inner(io, &mut trace.first, &mut grads.first);
    }

    fn sgd_step(&mut self, grads: &Self::Grads, learning_rate: T) {
        Network::sgd_step(&mut self.first, &grads.first, learning_rate);
        self.rest.sgd_step(&grads.rest, learning_rate);
    }

    fn momentum_step(&mut self, grads: &Self::Grads, velocity: &mut Self::Grads, learning_rate: T, mu: T) {
        self.first.momentum_step(&grads.first, &mut velocity.first, learning_rate, mu);
        self.rest.momentum_step(&grads.rest, &mut velocity.rest, learning_rate, mu);
    }

    fn param_mut(&mut self, at: usize) -> Option<&mut T> {
        let own = DIN * H + H;
        if at < own { self.first.param_mut(at) } else { self.rest.param_mut(at - own) }
    }

    fn grad(grads: &Self::Grads, at: usize) -> Option<T> {
        let own = DIN * H + H;
        if at < own { Dense::<DIN, H, A, T>::grad(&grads.first, at) } else { R::grad(&grads.rest, at - own) }
    }
}
