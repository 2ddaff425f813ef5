//! Networks: linear layers separated by activations, chained at compile
//! time, run without a heap.
//!
//! A [`Dense`] layer is a [`Linear`] with an [`Activation`] fused into its
//! forward kernel. A [`Chain`] puts one `Dense` in front of the rest of a
//! network; [`mlp!`](crate::mlp) builds the nesting from a list. Every
//! network implements [`Network<T, DIN>`](Network): a network that takes rows
//! of `DIN` inputs. Chaining a layer whose input width differs from the
//! previous layer's output width does not compile, and the message says so:
//!
//! ```text
//! error[E0277]: layer shapes do not chain: the layer before gives 64 outputs per row
//!   |         Dense::<32, 10>::torch_init(2),
//!   |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ `Dense<32, 10>` does not take rows of 64 inputs
//!   = note: in a network, each layer's DIN must equal the DOUT of the layer before it
//! ```
//!
//! # Buffers, and the one trade-off stable Rust forces
//!
//! - **Inference** runs through two ping-pong buffers ([`PingPong`]) as wide
//!   as the widest hidden layer: each layer reads one and writes the other.
//!   Stable Rust cannot size an array by an associated const inside generic
//!   code (`[T; Self::SCRATCH_WIDTH]` needs `generic_const_exprs`), so the
//!   *caller* names the width, `PingPong<T, W, B>`, usually as
//!   `{ Net::SCRATCH_WIDTH }` in a concrete context, and the forward pass
//!   asserts at compile time that `W ≥ SCRATCH_WIDTH`. A too-narrow buffer
//!   is a compile error, never a run-time panic; a too-wide one only wastes
//!   memory.
//! - **Training** keeps a trace ([`Network::Trace`]): for each layer the
//!   pre-activation `Z` and the output `A = f(Z)`, arrays sized by the
//!   layers' own const generics. The backward pass reuses them in place:
//!   each layer's output buffer receives `dA`, then `dZ = dA ⊙ f′(Z)`, then
//!   the previous layer's `dA`. No buffer beyond the trace, the gradients
//!   and (for momentum) the velocity is needed. The price of one uniform
//!   trace: it keeps `Z` even where `f′` could be read from `A` alone
//!   (ReLU, the clamp), twice the minimum for those layers.
//!
//! # Examples
//!
//! ```
//! use tinylinear::mlp;
//! use tinylinear::network::{Dense, Network, PingPong, Relu, Identity};
//!
//! type Net = tinylinear::network::Chain<Dense<2, 8, Relu>, Dense<8, 1, Identity>>;
//! let mut net: Net = Network::torch_init(3);
//!
//! // Inference: two buffers of the widest hidden layer (8), batch 4.
//! let x = [[0.5, -1.0]; 4];
//! let mut y = [[0.0; 1]; 4];
//! let mut scratch = PingPong::<f32, { <Net as Network<f32, 2>>::SCRATCH_WIDTH }, 4>::zeroed();
//! net.forward(&x, &mut y, &mut scratch);
//!
//! // Training: forward with a trace, backward, one SGD step.
//! let mut trace = Net::trace::<4>();
//! net.forward_train(&x, &mut trace);
//! assert_eq!(Net::output(&trace), &y);
//! let mut grads = Net::grads();
//! let dy = [[1.0]; 4];
//! net.backward(&x, &mut trace, &dy, &mut grads, None);
//! net.sgd_step(&grads, 0.01);
//!
//! // The same network from a list of layers:
//! let built = mlp![Dense::<2, 8, Relu>::torch_init(3), Dense::<8, 1>::torch_init(4)];
//! let _: &Net = &built;
//! ```

pub mod activation;
mod ledger;

pub use activation::{Activation, Clamp, Float, Gelu, Identity, Relu, Relu6, Sigmoid, Tanh};
pub use ledger::{LAYER_CALL_STACK_BYTES, LayerRow, MAX_LAYERS, NetworkLedger};

use crate::kernel::{self, Update};
use crate::{Element, Grads, Linear};

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

    fn forward_rows(&self, x: &[[T; DIN]], y: &mut [[T; DOUT]]) {
        kernel::forward_with(x, &self.linear.weight, Some(&self.linear.bias), y, self.activation);
    }

    /// Forward for training: keeps `Z = X·W + b` and `A = f(Z)` in `trace`.
    fn forward_cached<const B: usize>(&self, x: &[[T; DIN]; B], trace: &mut DenseTrace<DOUT, T, B>) {
        kernel::forward(x, &self.linear.weight, Some(&self.linear.bias), &mut trace.pre);
        for (out_row, pre_row) in trace.out.iter_mut().zip(&trace.pre) {
            for (out, &pre) in out_row.iter_mut().zip(pre_row) {
                *out = self.activation.apply(pre);
            }
        }
    }

    /// With `dA` in `trace.out`: turns it into `dZ = dA ⊙ f′(Z)` in place and
    /// writes `dW = Xᵀ·dZ`, `db = Σ_batch dZ` into `grads`.
    fn backward_params<const B: usize>(
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
    fn backward_input<const B: usize>(&self, trace: &DenseTrace<DOUT, T, B>, dx: &mut [[T; DIN]; B]) {
        kernel::backward_input(&trace.out, &self.linear.weight, dx);
    }
}

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

/// A pair of per-layer items: the first layer's and those of the rest of
/// the network. Traces, gradients and velocities of a [`Chain`] nest this way.
#[derive(Clone, Debug, PartialEq)]
pub struct Link<First, Rest> {
    /// The first layer's item.
    pub first: First,
    /// The rest of the network's items.
    pub rest: Rest,
}

/// What a [`Dense`] layer keeps from a training forward pass for a batch of `B`.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseTrace<const DOUT: usize, T, const B: usize> {
    /// The pre-activation `Z = X·W + b`.
    pub pre: [[T; DOUT]; B],
    /// The output `A = f(Z)` after the forward; during the backward, the
    /// gradient flowing through this layer (`dA`, then `dZ`).
    pub out: [[T; DOUT]; B],
}

impl<const DOUT: usize, T: Element, const B: usize> DenseTrace<DOUT, T, B> {
    /// A trace of zeros.
    #[must_use]
    pub const fn zeroed() -> Self {
        Self { pre: [[T::ZERO; DOUT]; B], out: [[T::ZERO; DOUT]; B] }
    }
}

/// The two inference buffers: `B` rows of `W` elements each, where `W` is
/// at least the network's [`Network::SCRATCH_WIDTH`].
///
/// # Examples
///
/// ```
/// let scratch = tinylinear::network::PingPong::<f32, 16, 4>::zeroed();
/// assert_eq!(core::mem::size_of_val(&scratch), 2 * 16 * 4 * 4);
/// ```
///
/// Buffers narrower than the widest hidden layer do not compile (the error
/// appears when the forward pass is monomorphised, so in `cargo build`,
/// not in `cargo check`):
///
/// ```compile_fail
/// use tinylinear::network::{Chain, Dense, Network, PingPong, Relu};
/// let net: Chain<Dense<2, 16, Relu>, Dense<16, 1>> = Network::torch_init(1);
/// let mut y = [[0.0f32; 1]; 1];
/// net.forward(&[[0.0f32; 2]], &mut y, &mut PingPong::<f32, 8, 1>::zeroed()); // 8 < 16
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PingPong<T, const W: usize, const B: usize> {
    ping: [[T; W]; B],
    pong: [[T; W]; B],
}

impl<T: Element, const W: usize, const B: usize> PingPong<T, W, B> {
    /// Two buffers of zeros.
    #[must_use]
    pub const fn zeroed() -> Self {
        Self { ping: [[T::ZERO; W]; B], pong: [[T::ZERO; W]; B] }
    }
}

/// The first `n` rows of width `N` laid over `buffer`: empty if the buffer is
/// too short, which the `W ≥ SCRATCH_WIDTH` assertion rules out.
fn rows<T, const N: usize>(buffer: &[T], n: usize) -> &[[T; N]] {
    let (whole, _) = buffer.as_chunks::<N>();
    whole.get(..n).unwrap_or(&[])
}

/// [`rows`], mutable.
fn rows_mut<T, const N: usize>(buffer: &mut [T], n: usize) -> &mut [[T; N]] {
    let (whole, _) = buffer.as_chunks_mut::<N>();
    whole.get_mut(..n).unwrap_or(&mut [])
}

/// A network taking rows of `DIN` inputs of type `T`: one [`Dense`] layer,
/// or a [`Chain`] of them.
///
/// Its shapes, costs and buffers are types and constants; its passes run
/// on the crate's kernels without a heap. Backward **overwrites** the
/// gradients (one batch per optimiser step).
#[diagnostic::on_unimplemented(
    message = "layer shapes do not chain: the layer before gives {DIN} outputs per row",
    label = "`{Self}` does not take rows of {DIN} inputs",
    note = "in a network, each layer's DIN must equal the DOUT of the layer before it"
)]
pub trait Network<T: Element, const DIN: usize> {
    /// One row of the network's output, `[T; DOUT]` of its last layer.
    type Output: Copy;
    /// What a training forward pass keeps for the backward pass, for a batch of `B`.
    type Trace<const B: usize>;
    /// The gradients of every layer's parameters (also the shape of the momentum velocity).
    type Grads;

    /// The network's cost ledger at batch 1; [`NetworkLedger::with_batch`]
    /// sets the batch. It records up to [`MAX_LAYERS`] layers: using it on
    /// a deeper network is a compile error (the network itself still works).
    const LEDGER: NetworkLedger;
    /// Trainable parameters of all layers.
    const PARAMS: u64;
    /// Parameter memory in bytes (what a `static` network puts in flash).
    const PARAM_BYTES: u64;
    /// The widest hidden layer: the minimum width of the inference [`PingPong`]
    /// buffers (0 for a single layer, which needs none).
    const SCRATCH_WIDTH: usize;

    /// A zeroed trace for a batch of `B`.
    fn trace<const B: usize>() -> Self::Trace<B>;
    /// Zeroed gradients (or momentum velocity).
    fn grads() -> Self::Grads;
    /// A network whose layers are initialised as PyTorch's `nn.Linear`,
    /// from `seed`, `seed + 1`, … layer by layer.
    fn torch_init(seed: u64) -> Self
    where
        Self: Sized;

    /// Inference: `y` = the network applied to `x`, with each activation
    /// fused into its layer's kernel and the hidden activations in `scratch`.
    ///
    /// `W < SCRATCH_WIDTH` is a compile error.
    fn forward<const B: usize, const W: usize>(
        &self,
        x: &[[T; DIN]; B],
        y: &mut [Self::Output; B],
        scratch: &mut PingPong<T, W, B>,
    );

    /// Inference from a hidden buffer: the input rows are at the start of
    /// `input`, `spare` is free. Used by [`Network::forward`] of a [`Chain`],
    /// whose scratch the `W ≥ SCRATCH_WIDTH` assertion sizes at compile time;
    /// not for calling directly (buffers too short for the rows give no rows).
    #[doc(hidden)]
    fn forward_from(&self, input: &mut [T], spare: &mut [T], y: &mut [Self::Output]);

    /// The training forward pass: fills `trace` with every layer's
    /// pre-activation and output. Read the output with [`Network::output`].
    fn forward_train<const B: usize>(&self, x: &[[T; DIN]; B], trace: &mut Self::Trace<B>);

    /// The network's output kept in `trace` by [`Network::forward_train`].
    fn output<const B: usize>(trace: &Self::Trace<B>) -> &[Self::Output; B];

    /// The last layer's output buffer in `trace`, mutable.
    #[doc(hidden)]
    fn output_mut<const B: usize>(trace: &mut Self::Trace<B>) -> &mut [Self::Output; B];

    /// The backward pass after [`Network::forward_train`] on the same `x`:
    /// writes every layer's gradients into `grads` for the upstream
    /// gradient `dy = ∂L/∂Y`, and `∂L/∂X` into `dx` if given.
    ///
    /// It works inside `trace` (overwriting the kept activations with
    /// gradients), so run [`Network::forward_train`] again before the next backward.
    fn backward<const B: usize>(
        &self,
        x: &[[T; DIN]; B],
        trace: &mut Self::Trace<B>,
        dy: &[Self::Output; B],
        grads: &mut Self::Grads,
        dx: Option<&mut [[T; DIN]; B]>,
    ) {
        *Self::output_mut(trace) = *dy;
        self.backward_from(x, trace, grads, dx);
    }

    /// [`Network::backward`] with `dY` already in the trace's output buffer.
    #[doc(hidden)]
    fn backward_from<const B: usize>(
        &self,
        x: &[[T; DIN]; B],
        trace: &mut Self::Trace<B>,
        grads: &mut Self::Grads,
        dx: Option<&mut [[T; DIN]; B]>,
    );

    /// The backward pass of an inner part of a chain: `io` holds its input
    /// on entry and `∂L/∂input` on return.
    #[doc(hidden)]
    fn backward_inner<const B: usize>(
        &self,
        io: &mut [[T; DIN]; B],
        trace: &mut Self::Trace<B>,
        grads: &mut Self::Grads,
    );

    /// Plain SGD: every parameter `θ −= lr·g`.
    fn sgd_step(&mut self, grads: &Self::Grads, learning_rate: T);

    /// SGD with momentum, as PyTorch's `SGD(momentum=μ)`: `v = μ·v + g`,
    /// then `θ −= lr·v`. Start `velocity` at [`Network::grads`] (zero).
    fn momentum_step(&mut self, grads: &Self::Grads, velocity: &mut Self::Grads, learning_rate: T, momentum: T);

    /// Parameter number `at`, counting each layer's W (row-major, d_in ×
    /// d_out) then b, layer by layer; `None` past the last.
    fn param_mut(&mut self, at: usize) -> Option<&mut T>;

    /// The gradient of parameter number `at` (numbered as in [`Network::param_mut`]).
    fn grad(grads: &Self::Grads, at: usize) -> Option<T>;
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
        let (ping, pong) = (scratch.ping.as_flattened_mut(), scratch.pong.as_flattened_mut());
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

/// Builds a network from a list of [`Dense`] layers: `mlp![a, b, c]` is
/// `Chain::new(a, Chain::new(b, c))`. A layer whose input width is not the
/// previous layer's output width is a compile error.
///
/// # Examples
///
/// ```
/// use tinylinear::mlp;
/// use tinylinear::network::{Dense, Network, Relu, Tanh};
/// let net = mlp![
///     Dense::<4, 16, Relu>::torch_init(1),
///     Dense::<16, 16, Tanh>::torch_init(2),
///     Dense::<16, 3>::torch_init(3),
/// ];
/// fn params<N: Network<f32, 4>>(_: &N) -> u64 { N::PARAMS }
/// assert_eq!(params(&net), 80 + 272 + 51);
/// ```
#[macro_export]
macro_rules! mlp {
    ($last:expr $(,)?) => {
        $last
    };
    ($first:expr, $($rest:expr),+ $(,)?) => {
        $crate::network::Chain::new($first, $crate::mlp!($($rest),+))
    };
}
