//! The one error type of the run-time-sized entry points and the byte constructors.

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
    /// Layer bytes whose length does not fit the layer's shape: 20 header
    /// bytes, then `p·(d_in·d_out + bias length)`.
    ByteLength {
        /// Bytes the layer type needs.
        expected: usize,
        /// Bytes given.
        found: usize,
    },
    /// Layer bytes that do not start with the magic `b"TLIN"`.
    BadMagic {
        /// The first four bytes given.
        found: [u8; 4],
    },
    /// Layer bytes of another element type: 4 bytes per element for `f32`, 8 for `f64`.
    ElementSize {
        /// Bytes per element of the layer type.
        expected: usize,
        /// Bytes per element in the header.
        found: usize,
    },
    /// Layer bytes of another shape.
    ShapeMismatch {
        /// `(d_in, d_out)` of the layer type.
        expected: (usize, usize),
        /// `(d_in, d_out)` in the header.
        found: (usize, usize),
    },
    /// Layer bytes with another bias length: d_out with a bias, 0 without.
    BiasLength {
        /// Bias entries of the layer type.
        expected: usize,
        /// Bias entries in the header.
        found: usize,
    },
    /// A quantization scale that is not positive and finite.
    QuantScale {
        /// Which tensor's: `"input"`, `"weight"` or `"output"`.
        tensor: &'static str,
        /// The output channel, for a per-channel weight scale (else 0).
        channel: usize,
    },
    /// A zero point outside int8's `[-128, 127]`.
    ZeroPointRange {
        /// Which tensor's: `"input"` or `"output"`.
        tensor: &'static str,
        /// The zero point given.
        found: i32,
    },
    /// Activation bounds with `min > max`.
    ActivationRange {
        /// The lower bound given.
        min: i8,
        /// The upper bound given.
        max: i8,
    },
    /// A real multiplier `input_scale · weight_scale / output_scale` that
    /// TFLite's fixed point cannot hold: above 2^30, or (per tensor) an
    /// `input_scale · weight_scale` that overflows `f32`.
    MultiplierRange {
        /// The output channel (0 for a per-tensor weight scale).
        channel: usize,
    },
    /// Two int8 layers chained where the first one's output scale and zero
    /// point are not the second one's input scale and zero point.
    ChainQuantization,
    /// Bytes that are not a well-formed TensorFlow Lite file.
    TfliteMalformed {
        /// What was wrong.
        reason: &'static str,
    },
    /// A TensorFlow Lite model with something this crate does not run.
    TfliteUnsupported {
        /// What it was: an operator's name, or a description.
        what: &'static str,
    },
    /// A layer too large to write: d_in or d_out exceeds the header's `u32`
    /// fields (only possible on 64-bit targets).
    ShapeTooLarge {
        /// `(d_in, d_out)` of the layer.
        found: (usize, usize),
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BatchMismatch { argument, expected, found } => {
                write!(f, "batch mismatch: `{argument}` has {found} rows but `x` has {expected}")
            }
            Error::ByteLength { expected, found } => {
                write!(f, "layer bytes: expected {expected} bytes for this shape, found {found}")
            }
            Error::BadMagic { found } => write!(f, "layer bytes: expected the magic b\"TLIN\", found {found:?}"),
            Error::ElementSize { expected, found } => {
                write!(f, "layer bytes: expected {expected}-byte elements, found {found}-byte elements")
            }
            Error::ShapeMismatch { expected, found } => write!(
                f,
                "layer bytes: expected d_in × d_out = {} × {}, found {} × {}",
                expected.0, expected.1, found.0, found.1
            ),
            Error::BiasLength { expected, found } => {
                write!(f, "layer bytes: expected a bias of {expected} entries, found {found}")
            }
            Error::QuantScale { tensor, channel } => {
                write!(f, "quantization: the {tensor} scale (channel {channel}) is not positive and finite")
            }
            Error::ZeroPointRange { tensor, found } => {
                write!(f, "quantization: the {tensor} zero point {found} lies outside [-128, 127]")
            }
            Error::ActivationRange { min, max } => {
                write!(f, "quantization: activation_min {min} is above activation_max {max}")
            }
            Error::MultiplierRange { channel } => write!(
                f,
                "quantization: channel {channel}'s input_scale · weight_scale / output_scale is beyond TFLite's fixed point"
            ),
            Error::ChainQuantization => {
                write!(f, "int8 chain: a layer's output scale and zero point are not the next layer's input's")
            }
            Error::TfliteMalformed { reason } => write!(f, "not a well-formed .tflite file: {reason}"),
            Error::TfliteUnsupported { what } => {
                write!(f, "the .tflite model has {what}, which tinylinear does not run")
            }
            Error::ShapeTooLarge { found } => {
                write!(f, "layer bytes: d_in × d_out = {} × {} does not fit the u32 header", found.0, found.1)
            }
        }
    }
}

impl core::error::Error for Error {}

/// `Ok` when the argument has as many rows as the batch, else the error.
pub(crate) const fn check_batch(argument: &'static str, expected: usize, found: usize) -> Result<(), Error> {
    if expected == found { Ok(()) } else { Err(Error::BatchMismatch { argument, expected, found }) }
}
