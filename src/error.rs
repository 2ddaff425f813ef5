//! The one error type of the run-time-sized entry points.

use core::fmt;

/// Why a run-time-sized call was refused. Nothing was written when one is returned.
///
/// # Examples
///
/// ```
/// use tinylinear::{Error, Linear};
///
/// let layer = Linear::<4, 3>::zeroed();
/// let x = [[1.0f32; 4]; 5];
/// let mut y = [[0.0f32; 3]; 4];
/// let refused = layer.forward_slice(&x, &mut y);
/// assert_eq!(refused, Err(Error::BatchMismatch { argument: "y", expected: 5, found: 4 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A batch argument has a different number of rows than `x`, whose
    /// length sets the batch.
    BatchMismatch {
        /// The argument's name in the called function.
        argument: &'static str,
        /// Rows of `x`.
        expected: usize,
        /// Rows of the argument.
        found: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BatchMismatch { argument, expected, found } => {
                write!(f, "batch mismatch: `{argument}` has {found} rows but `x` has {expected}")
            }
        }
    }
}

impl core::error::Error for Error {}

/// `Ok` when the argument has as many rows as the batch, else the error.
pub(crate) const fn check_batch(argument: &'static str, expected: usize, found: usize) -> Result<(), Error> {
    if expected == found { Ok(()) } else { Err(Error::BatchMismatch { argument, expected, found }) }
}
