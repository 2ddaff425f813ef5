//! The hooks the passes take from their callers: the epilogue the forward
//! applies to each output, and whether a backward pass writes or adds.

use crate::Element;

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
    pub fn apply<T: Element>(self, slot: &mut T, new: T) {
        match self {
            Update::Overwrite => *slot = new,
            Update::Accumulate => *slot += new,
        }
    }
}

/// A function the forward kernel applies to every output just before it
/// stores it: the hook that fuses an activation into `Y = X·W + b`, so that
/// `f(X·W + b)` costs no second pass over Y.
///
/// The kernels call [`Epilogue::apply`] on values they have just computed,
/// while they are still in registers or L1, once per output.
///
/// # Examples
///
/// ```
/// use tinylinear::Linear;
/// use tinylinear::kernel::Epilogue;
///
/// #[derive(Clone, Copy)]
/// struct Halve;
/// impl Epilogue<f32> for Halve {
///     fn apply(self, value: f32) -> f32 {
///         value * 0.5
///     }
/// }
///
/// let layer = Linear::<2, 1>::new([[1.0], [1.0]], [0.0]);
/// let mut y = [[0.0; 1]; 1];
/// layer.forward_with(&[[1.0, 3.0]], &mut y, Halve);
/// assert_eq!(y, [[2.0]]);
/// ```
pub trait Epilogue<T>: Copy {
    /// The stored output for the freshly computed `value`.
    fn apply(self, value: T) -> T;
}

/// The epilogue that leaves outputs as they are: plain `Y = X·W + b`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Identity;

impl<T> Epilogue<T> for Identity {
    #[inline(always)]
    fn apply(self, value: T) -> T {
        value
    }
}
