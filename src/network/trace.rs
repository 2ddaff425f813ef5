//! What training keeps between the passes: each layer's trace, and the
//! pairs in which a chain nests its layers' traces, gradients and velocities.

use crate::element::Element;

/// A pair of per-layer items: the first layer's and those of the rest of
/// the network. Traces, gradients and velocities of a [`Chain`](super::chain::Chain) nest this way.
#[derive(Clone, Debug, PartialEq)]
pub struct Link<First, Rest> {
    /// The first layer's item.
    pub first: First,
    /// The rest of the network's items.
    pub rest: Rest,
}

/// What a [`Dense`](super::dense::Dense) layer keeps from a training forward pass for a batch of `B`.
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
