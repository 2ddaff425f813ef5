//! The inference buffers, and the rows laid over them.

use crate::element::Element;

/// The two inference buffers: `B` rows of `W` elements each, where `W` is
/// at least the network's [`Network::SCRATCH_WIDTH`](super::net::Network::SCRATCH_WIDTH).
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

    /// The two buffers, each as one flat slice of `B·W` elements.
    pub(super) fn halves(&mut self) -> (&mut [T], &mut [T]) {
        (self.ping.as_flattened_mut(), self.pong.as_flattened_mut())
    }
}

/// The first `n` rows of width `N` laid over `buffer`: empty if the buffer is
/// too short, which the `W ≥ SCRATCH_WIDTH` assertion rules out.
pub(super) fn rows<T, const N: usize>(buffer: &[T], n: usize) -> &[[T; N]] {
    let (whole, _) = buffer.as_chunks::<N>();
    whole.get(..n).unwrap_or(&[])
}

/// [`rows`], mutable.
pub(super) fn rows_mut<T, const N: usize>(buffer: &mut [T], n: usize) -> &mut [[T; N]] {
    let (whole, _) = buffer.as_chunks_mut::<N>();
    whole.get_mut(..n).unwrap_or(&mut [])
}
