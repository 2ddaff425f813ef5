//! The [`Network`] trait: the shapes, costs and passes every network has.

use super::buffers::PingPong;
use super::ledger::NetworkLedger;
use crate::element::Element;

/// A network taking rows of `DIN` inputs of type `T`: one [`Dense`](super::dense::Dense) layer,
/// or a [`Chain`](super::chain::Chain) of them.
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
    /// sets the batch. It records up to [`MAX_LAYERS`](super::ledger::MAX_LAYERS) layers: using it on
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
    /// `input`, `spare` is free. Used by [`Network::forward`] of a [`Chain`](super::chain::Chain),
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
