//! int8 layers from little-endian bytes: a converted model baked into flash
//! at compile time.
//!
//! # The format
//!
//! The f32 layers' header (see [`crate::bytes`]) with 1 byte per element,
//! then the quantization, the bias and the weights, every number
//! little-endian:
//!
//! | offset | bytes | content |
//! |---|---|---|
//! | 0 | 4 | magic `b"TLIN"` |
//! | 4 | 4 | `u32`: bytes per element, 1 (int8) |
//! | 8 | 4 | `u32`: d_in |
//! | 12 | 4 | `u32`: d_out |
//! | 16 | 4 | `u32`: bias length, d_out, or 0 for a layer without bias |
//! | 20 | 4 | `f32`: input scale |
//! | 24 | 4 | `i32`: input zero point |
//! | 28 | 4 | `f32`: output scale |
//! | 32 | 4 | `i32`: output zero point |
//! | 36 | 1 | `i8`: activation min |
//! | 37 | 1 | `i8`: activation max |
//! | 38 | 1 | rounding: 0 TFLite's default (double), 1 single |
//! | 39 | 1 | weight scales: 0 one per tensor, 1 one per output channel |
//! | 40 | 4·s | `f32` weight scales, s = 1 or d_out |
//! | … | 4·bias length | `i32` bias |
//! | … | d_out·d_in | `i8` weights in TFLite's layout, `d_out × d_in`, row-major |
//!
//! The scales, not the fixed-point multipliers, are stored: the layer forms
//! its multipliers from them as TFLite does, in integers, identically at
//! compile time and at run time.

use super::QLinear;
use super::layer::refuse as refuse_params;
use super::params::{QuantParams, Rounding, WeightScales};
use crate::Error;
use crate::bytes::{HEADER_BYTES, MAGIC, read_u32};

/// Bytes before the weight scales.
const QUANT_HEADER_BYTES: usize = HEADER_BYTES + 20;

/// The byte length of a layer with `scales` weight scales and `bias` bias
/// entries, saturating (no real layer comes near `usize::MAX`).
pub(crate) const fn quant_byte_len(din: usize, dout: usize, scales: usize, bias: usize) -> usize {
    din.saturating_mul(dout)
        .saturating_add(scales.saturating_add(bias).saturating_mul(4))
        .saturating_add(QUANT_HEADER_BYTES)
}

/// Panics in `const` context with a message naming the mismatch.
const fn refuse(error: Error) -> ! {
    match error {
        Error::ByteLength { .. } => panic!("tinylinear: the int8 layer's bytes have the wrong length for its shape"),
        Error::BadMagic { .. } => panic!("tinylinear: the int8 layer's bytes do not start with the magic b\"TLIN\""),
        Error::ElementSize { .. } => panic!("tinylinear: the layer's bytes hold f32 or f64 elements, not int8"),
        Error::ShapeMismatch { .. } => panic!("tinylinear: the int8 layer's bytes hold another shape (d_in, d_out)"),
        Error::BiasLength { .. } => panic!("tinylinear: the int8 layer's bias length is neither d_out nor 0"),
        Error::TfliteMalformed { .. } => panic!("tinylinear: the int8 layer's bytes hold an unknown flag"),
        // The parameters' own refusals, worded as for `QLinear::from_tflite`.
        other => refuse_params(other),
    }
}

impl<const DIN: usize, const DOUT: usize> QLinear<DIN, DOUT> {
    /// Reads a layer in the format of [`crate::quant`]'s byte files (written
    /// by the `tflite` example from a `.tflite` file).
    ///
    /// # Errors
    ///
    /// In this order: [`Error::BadMagic`], [`Error::ByteLength`] for fewer
    /// bytes than the header, [`Error::ElementSize`] for an f32 or f64
    /// layer, [`Error::ShapeMismatch`], [`Error::BiasLength`],
    /// [`Error::TfliteMalformed`] for an unknown rounding or scale flag,
    /// [`Error::ByteLength`] for a length that does not fit, then the
    /// refusals of [`QLinear::try_from_tflite`].
    pub const fn from_le_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let Some(&magic) = bytes.first_chunk::<4>() else {
            return Err(Error::ByteLength { expected: QUANT_HEADER_BYTES, found: bytes.len() });
        };
        if magic[0] != MAGIC[0] || magic[1] != MAGIC[1] || magic[2] != MAGIC[2] || magic[3] != MAGIC[3] {
            return Err(Error::BadMagic { found: magic });
        }
        if bytes.len() < QUANT_HEADER_BYTES {
            return Err(Error::ByteLength { expected: QUANT_HEADER_BYTES, found: bytes.len() });
        }
        let element = read_u32(bytes, 4) as usize;
        if element != 1 {
            return Err(Error::ElementSize { expected: 1, found: element });
        }
        let (din, dout) = (read_u32(bytes, 8) as usize, read_u32(bytes, 12) as usize);
        if din != DIN || dout != DOUT {
            return Err(Error::ShapeMismatch { expected: (DIN, DOUT), found: (din, dout) });
        }
        let bias_len = read_u32(bytes, 16) as usize;
        if bias_len != DOUT && bias_len != 0 {
            return Err(Error::BiasLength { expected: DOUT, found: bias_len });
        }
        let rounding = match bytes[38] {
            0 => Rounding::Double,
            1 => Rounding::Single,
            _ => return Err(Error::TfliteMalformed { reason: "an unknown rounding flag in an int8 layer's bytes" }),
        };
        let scales = match bytes[39] {
            0 => 1,
            1 => DOUT,
            _ => {
                return Err(Error::TfliteMalformed { reason: "an unknown weight-scale flag in an int8 layer's bytes" });
            }
        };
        let expected = quant_byte_len(DIN, DOUT, scales, bias_len);
        if bytes.len() != expected {
            return Err(Error::ByteLength { expected, found: bytes.len() });
        }

        let weight_scales = if bytes[39] == 0 {
            WeightScales::PerTensor(f32::from_bits(read_u32(bytes, QUANT_HEADER_BYTES)))
        } else {
            let mut each = [0.0f32; DOUT];
            let mut j = 0;
            while j < DOUT {
                each[j] = f32::from_bits(read_u32(bytes, QUANT_HEADER_BYTES + 4 * j));
                j += 1;
            }
            WeightScales::PerChannel(each)
        };
        let params = QuantParams {
            input_scale: f32::from_bits(read_u32(bytes, 20)),
            input_zero_point: read_u32(bytes, 24) as i32,
            weight_scales,
            output_scale: f32::from_bits(read_u32(bytes, 28)),
            output_zero_point: read_u32(bytes, 32) as i32,
            activation_min: bytes[36] as i8,
            activation_max: bytes[37] as i8,
        };
        let bias_at = QUANT_HEADER_BYTES + 4 * scales;
        let mut bias = [0i32; DOUT];
        if bias_len == DOUT {
            let mut j = 0;
            while j < DOUT {
                bias[j] = read_u32(bytes, bias_at + 4 * j) as i32;
                j += 1;
            }
        }
        let weight_at = bias_at + 4 * bias_len;
        let mut weight = [[0i8; DIN]; DOUT];
        let mut j = 0;
        while j < DOUT {
            let mut k = 0;
            while k < DIN {
                weight[j][k] = bytes[weight_at + j * DIN + k] as i8;
                k += 1;
            }
            j += 1;
        }
        Self::build(&weight, &bias, &params, rounding)
    }

    /// [`QLinear::from_le_bytes`] for `const` and `static` items, where any
    /// refusal is a compile error naming what was wrong. Past about a million
    /// weights (1024 × 1024), the compiler's `long_running_const_eval` lint
    /// stops the evaluation: allow it on the item
    /// (`#[allow(long_running_const_eval)]`), the evaluation does end.
    ///
    /// # Panics
    ///
    /// Where [`QLinear::from_le_bytes`] returns an error (at compile time in
    /// a `const` context).
    #[must_use]
    pub const fn from_le_bytes_baked(bytes: &[u8]) -> Self {
        match Self::from_le_bytes(bytes) {
            Ok(layer) => layer,
            Err(error) => refuse(error),
        }
    }
}
