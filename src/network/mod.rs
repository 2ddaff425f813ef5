//! Networks: linear layers separated by activations, chained at compile
//! time, run without a heap.
//!
//! A [`Dense`] layer is a [`Linear`](crate::layer::Linear) with an [`Activation`] fused into its
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
mod buffers;
mod chain;
mod dense;
mod ledger;
mod net;
mod trace;

pub use activation::{Activation, Clamp, Float, Gelu, Identity, Relu, Relu6, Sigmoid, Tanh};
pub use buffers::PingPong;
pub use chain::Chain;
pub use dense::Dense;
pub use ledger::{LAYER_CALL_STACK_BYTES, LayerRow, MAX_LAYERS, NetworkLedger};
pub use net::Network;
pub use trace::{DenseTrace, Link};

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
