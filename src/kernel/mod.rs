//! The compute kernels behind every layer: the four equations of the
//! forward and backward passes over a batch of rows.
//!
//! | equation | function | reads W as |
//! |---|---|---|
//! | `Y = X·W + b` | [`forward`] | rows `W[k][..]`, one per input |
//! | `dX = dY·Wᵀ` | [`backward_input`] | rows `W[i][..]`, dotted with `dY[r][..]` |
//! | `dW = Xᵀ·dY` | [`backward_weight`] | (writes it) |
//! | `db = Σ_batch dY` | [`backward_bias`] | — |
//!
//! Today every entry point runs the scalar loops of [`reference`](mod@reference), which
//! stays in the crate as the oracle for faster kernels and as the path for
//! targets without SIMD. [`BACKEND`] names the path compiled in.

pub mod reference;

/// The kernel path compiled into this build: `"scalar"` for the plain loops
/// of [`reference`](mod@reference).
///
/// # Examples
///
/// ```
/// println!("tinylinear kernels: {}", tinylinear::BACKEND);
/// assert!(!tinylinear::BACKEND.is_empty());
/// ```
pub const BACKEND: &str = "scalar";

/// Whether a backward kernel writes its gradient or adds into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// `grad = new`: the old value is neither read nor needed (GEMM's beta = 0).
    Overwrite,
    /// `grad += new`: gradients accumulate across calls, as PyTorch's `.grad` does.
    Accumulate,
}

impl Update {
    /// Stores `new` into `slot` according to the mode.
    #[inline(always)]
    pub fn apply<T: crate::Element>(self, slot: &mut T, new: T) {
        match self {
            Update::Overwrite => *slot = new,
            Update::Accumulate => *slot += new,
        }
    }
}

pub use reference::{backward_bias, backward_input, backward_weight, forward};
