//! Layers from little-endian bytes: a model baked into flash at compile time.
//!
//! # The format
//!
//! One layer per byte string, every number little-endian:
//!
//! | offset | bytes | content |
//! |---|---|---|
//! | 0 | 4 | magic `b"TLIN"` |
//! | 4 | 4 | `u32`: bytes per element, 4 (`f32`) or 8 (`f64`) |
//! | 8 | 4 | `u32`: d_in |
//! | 12 | 4 | `u32`: d_out |
//! | 16 | 4 | `u32`: bias length, d_out for [`Linear`], 0 for [`LinearNoBias`] |
//! | 20 | p·d_in·d_out | W in the crate's layout, d_in × d_out, row-major: `weight[k][j]` at element `k·d_out + j` |
//! | … | p·bias length | b |
//!
//! The weights are always in the crate's layout: a tool that starts from
//! PyTorch's d_out × d_in transposes before writing (`examples/write_weights.rs`
//! does, when told the arrays are PyTorch's).
//!
//! Name the shape in the call (`Linear::<4, 16>::from_le_bytes(…)`): the
//! `f32` and `f64` constructors share their names, so `Linear::from_le_bytes`
//! alone is ambiguous.
//!
//! `from_le_bytes` is a `const fn` returning `Result`, for run-time bytes;
//! `from_le_bytes_baked` is the same check for `const` and `static` items,
//! where any mismatch is a compile error naming what was wrong:
//!
//! ```
//! use tinylinear::Linear;
//! # const BYTES: [u8; 20 + 4 * 4] = {
//! #     let mut b = [0u8; 36];
//! #     b[0] = b'T'; b[1] = b'L'; b[2] = b'I'; b[3] = b'N';
//! #     b[4] = 4; b[8] = 1; b[12] = 2; b[16] = 2;
//! #     b
//! # };
//! // With a file a tool wrote: `Linear::<1, 2>::from_le_bytes_baked(include_bytes!("layer1.bin"))`.
//! static LAYER: Linear<1, 2> = Linear::<1, 2>::from_le_bytes_baked(&BYTES);
//! assert_eq!(LAYER, Linear::zeroed());
//! ```

use crate::error::Error;
use crate::layer::{Linear, LinearNoBias};

/// The magic at the start of every layer's bytes.
pub const MAGIC: [u8; 4] = *b"TLIN";

/// Bytes of the header before W.
pub const HEADER_BYTES: usize = 20;

/// The byte length of a `din → dout` layer of `elem_bytes`-byte elements
/// with `bias` bias entries, saturating (no real layer comes near `usize::MAX`).
const fn byte_len(elem_bytes: usize, din: usize, dout: usize, bias: usize) -> usize {
    din.saturating_mul(dout).saturating_add(bias).saturating_mul(elem_bytes).saturating_add(HEADER_BYTES)
}

/// The little-endian `u32` at `at` (the caller has checked the length).
pub(crate) const fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Checks a header and length against the expected shape, in the order
/// [`Linear::from_le_bytes`] documents: the magic first, as soon as there are
/// four bytes to read, so a file of another kind says so whatever its length.
const fn check(bytes: &[u8], elem_bytes: usize, din: usize, dout: usize, bias: usize) -> Result<(), Error> {
    let expected = byte_len(elem_bytes, din, dout, bias);
    let Some(&magic) = bytes.first_chunk::<4>() else {
        return Err(Error::ByteLength { expected, found: bytes.len() });
    };
    if magic[0] != MAGIC[0] || magic[1] != MAGIC[1] || magic[2] != MAGIC[2] || magic[3] != MAGIC[3] {
        return Err(Error::BadMagic { found: magic });
    }
    if bytes.len() < HEADER_BYTES {
        return Err(Error::ByteLength { expected, found: bytes.len() });
    }
    let found_elem = read_u32(bytes, 4) as usize;
    if found_elem != elem_bytes {
        return Err(Error::ElementSize { expected: elem_bytes, found: found_elem });
    }
    let (found_din, found_dout) = (read_u32(bytes, 8) as usize, read_u32(bytes, 12) as usize);
    if found_din != din || found_dout != dout {
        return Err(Error::ShapeMismatch { expected: (din, dout), found: (found_din, found_dout) });
    }
    let found_bias = read_u32(bytes, 16) as usize;
    if found_bias != bias {
        return Err(Error::BiasLength { expected: bias, found: found_bias });
    }
    if bytes.len() != expected {
        return Err(Error::ByteLength { expected, found: bytes.len() });
    }
    Ok(())
}

/// Panics in `const` context with a message naming the mismatch.
const fn refuse(error: Error) -> ! {
    match error {
        Error::ByteLength { .. } => {
            panic!(
                "tinylinear: the layer's bytes have the wrong length for its shape (20-byte header + p·(DIN·DOUT + bias))"
            )
        }
        Error::BadMagic { .. } => panic!("tinylinear: the layer's bytes do not start with the magic b\"TLIN\""),
        Error::ElementSize { .. } => panic!("tinylinear: the layer's bytes hold another element type (f32 vs f64)"),
        Error::ShapeMismatch { .. } => panic!("tinylinear: the layer's bytes hold another shape (d_in, d_out)"),
        Error::BiasLength { .. } => {
            panic!("tinylinear: the layer's bytes have the wrong bias length (with vs without bias)")
        }
        _ => panic!("tinylinear: the layer's bytes were refused"),
    }
}

/// The `f32` at `at` (the caller has checked the length).
const fn read_f32(bytes: &[u8], at: usize) -> f32 {
    f32::from_bits(read_u32(bytes, at))
}

/// The `f64` at `at` (the caller has checked the length).
const fn read_f64(bytes: &[u8], at: usize) -> f64 {
    let low = read_u32(bytes, at) as u64;
    let high = read_u32(bytes, at + 4) as u64;
    f64::from_bits(low | (high << 32))
}

/// W, d_in × d_out, from the bytes after the header.
macro_rules! read_weight {
    ($bytes:expr, $read:ident, $t:ty, $p:literal) => {{
        let mut weight = [[0.0 as $t; DOUT]; DIN];
        let mut k = 0;
        while k < DIN {
            let mut j = 0;
            while j < DOUT {
                weight[k][j] = $read($bytes, HEADER_BYTES + $p * (k * DOUT + j));
                j += 1;
            }
            k += 1;
        }
        weight
    }};
}

/// The constructors for one element type, for both layer types.
macro_rules! from_bytes {
    ($t:ty, $p:literal, $read:ident) => {
        impl<const DIN: usize, const DOUT: usize> Linear<DIN, DOUT, $t> {
            /// Bytes of this layer in the [`bytes`](crate::bytes) format:
            /// the 20-byte header, W and b.
            pub const BYTE_LEN: usize = byte_len($p, DIN, DOUT, DOUT);

            /// A layer from little-endian bytes in the crate's format (see
            /// [`Linear::write_le_bytes`]). `const`, so it also runs at compile time.
            ///
            /// # Errors
            ///
            /// [`Error::BadMagic`], [`Error::ElementSize`], [`Error::ShapeMismatch`],
            /// [`Error::BiasLength`] or [`Error::ByteLength`] (expected vs found),
            /// checked in that order. The magic is checked whenever there are
            /// at least 4 bytes, so a file of another kind is `BadMagic` at any
            /// length; fewer than 4 bytes, or the magic and less than the
            /// 20-byte header, are `ByteLength`.
            ///
            /// # Examples
            ///
            /// ```
            /// use tinylinear::{Error, Linear};
            /// let layer = Linear::<2, 3>::torch_init(1);
            /// let mut bytes = [0u8; Linear::<2, 3>::BYTE_LEN];
            /// layer.write_le_bytes(&mut bytes).unwrap();
            /// assert_eq!(Linear::<2, 3>::from_le_bytes(&bytes), Ok(layer));
            /// let short = Linear::<2, 3>::from_le_bytes(&bytes[..40]);
            /// assert_eq!(short, Err(Error::ByteLength { expected: 56, found: 40 }));
            /// let other = Linear::<2, 3>::from_le_bytes(b"XXXX");
            /// assert_eq!(other, Err(Error::BadMagic { found: *b"XXXX" }));
            /// ```
            pub const fn from_le_bytes(bytes: &[u8]) -> Result<Self, Error> {
                if let Err(error) = check(bytes, $p, DIN, DOUT, DOUT) {
                    return Err(error);
                }
                let weight = read_weight!(bytes, $read, $t, $p);
                let mut bias = [0.0 as $t; DOUT];
                let mut j = 0;
                while j < DOUT {
                    bias[j] = $read(bytes, HEADER_BYTES + $p * (DIN * DOUT + j));
                    j += 1;
                }
                Ok(Self::new(weight, bias))
            }

            /// [`Linear::from_le_bytes`] for a `const` or `static` item: bytes
            /// that do not fit the layer are a compile error saying why (and
            /// a panic if it is ever called at run time).
            ///
            /// # Examples
            ///
            /// ```compile_fail
            /// use tinylinear::Linear;
            /// // 4 bytes are not a layer: "the layer's bytes have the wrong length".
            /// static LAYER: Linear<1, 1> = Linear::<1, 1>::from_le_bytes_baked(b"TLIN");
            /// ```
            #[must_use]
            pub const fn from_le_bytes_baked(bytes: &[u8]) -> Self {
                match Self::from_le_bytes(bytes) {
                    Ok(layer) => layer,
                    Err(error) => refuse(error),
                }
            }

            /// Writes this layer in the format [`Linear::from_le_bytes`] reads
            /// and returns the number of bytes written, [`Linear::BYTE_LEN`].
            ///
            /// # Errors
            ///
            /// [`Error::ShapeTooLarge`] when d_in or d_out does not fit the
            /// header's `u32` fields (only possible on 64-bit targets), else
            /// [`Error::ByteLength`] when `out` is shorter than `BYTE_LEN`.
            /// Nothing is written in either case.
            pub fn write_le_bytes(&self, out: &mut [u8]) -> Result<usize, Error> {
                write(
                    out,
                    $p,
                    DIN,
                    DOUT,
                    DOUT,
                    self.weight.as_flattened().iter().chain(&self.bias).map(|v| v.to_le_bytes()),
                )
            }
        }

        impl<const DIN: usize, const DOUT: usize> LinearNoBias<DIN, DOUT, $t> {
            /// Bytes of this layer in the [`bytes`](crate::bytes) format:
            /// the 20-byte header (bias length 0) and W.
            pub const BYTE_LEN: usize = byte_len($p, DIN, DOUT, 0);

            /// A bias-free layer from little-endian bytes whose bias length is 0.
            ///
            /// # Errors
            ///
            /// As [`Linear::from_le_bytes`]; bytes of a layer with a bias give
            /// [`Error::BiasLength`].
            pub const fn from_le_bytes(bytes: &[u8]) -> Result<Self, Error> {
                if let Err(error) = check(bytes, $p, DIN, DOUT, 0) {
                    return Err(error);
                }
                Ok(Self::new(read_weight!(bytes, $read, $t, $p)))
            }

            /// [`LinearNoBias::from_le_bytes`] for a `const` or `static` item:
            /// bytes that do not fit are a compile error saying why.
            #[must_use]
            pub const fn from_le_bytes_baked(bytes: &[u8]) -> Self {
                match Self::from_le_bytes(bytes) {
                    Ok(layer) => layer,
                    Err(error) => refuse(error),
                }
            }

            /// Writes this layer in the format [`LinearNoBias::from_le_bytes`]
            /// reads and returns [`LinearNoBias::BYTE_LEN`].
            ///
            /// # Errors
            ///
            /// As [`Linear::write_le_bytes`]: [`Error::ShapeTooLarge`] or
            /// [`Error::ByteLength`]; nothing is written.
            pub fn write_le_bytes(&self, out: &mut [u8]) -> Result<usize, Error> {
                write(out, $p, DIN, DOUT, 0, self.weight.as_flattened().iter().map(|v| v.to_le_bytes()))
            }
        }
    };
}

/// The header for a `din → dout` layer of `elem_bytes`-byte elements with
/// `bias` bias entries, or [`Error::ShapeTooLarge`] if a field exceeds `u32::MAX`.
fn encode_header(elem_bytes: usize, din: usize, dout: usize, bias: usize) -> Result<[u8; HEADER_BYTES], Error> {
    let too_large = Error::ShapeTooLarge { found: (din, dout) };
    let mut header = [0u8; HEADER_BYTES];
    header[..4].copy_from_slice(&MAGIC);
    for (slot, field) in header[4..].chunks_exact_mut(4).zip([elem_bytes, din, dout, bias]) {
        let field = u32::try_from(field).map_err(|_| too_large)?;
        slot.copy_from_slice(&field.to_le_bytes());
    }
    Ok(header)
}

/// Writes the header and then each element's bytes.
fn write<const P: usize>(
    out: &mut [u8],
    elem_bytes: usize,
    din: usize,
    dout: usize,
    bias: usize,
    elements: impl Iterator<Item = [u8; P]>,
) -> Result<usize, Error> {
    let header = encode_header(elem_bytes, din, dout, bias)?;
    let expected = byte_len(elem_bytes, din, dout, bias);
    let Some(out) = out.get_mut(..expected) else {
        return Err(Error::ByteLength { expected, found: out.len() });
    };
    let (head, body) = out.split_at_mut(HEADER_BYTES);
    head.copy_from_slice(&header);
    for (slot, element) in body.chunks_exact_mut(P).zip(elements) {
        slot.copy_from_slice(&element);
    }
    Ok(expected)
}

from_bytes!(f32, 4, read_f32);
from_bytes!(f64, 8, read_f64);

#[cfg(test)]
mod tests {
    use super::{HEADER_BYTES, encode_header};

    #[test]
    fn the_header_is_the_documented_bytes() {
        let header = encode_header(4, 2, 3, 3).unwrap();
        let expected: [u8; HEADER_BYTES] = *b"TLIN\x04\0\0\0\x02\0\0\0\x03\0\0\0\x03\0\0\0";
        assert_eq!(header, expected);
    }

    /// A layer this wide needs the heap and 16 GiB; its header alone shows the refusal.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn a_shape_beyond_u32_is_refused_not_truncated() {
        use super::Error;
        let wide = 1usize << 32;
        assert_eq!(encode_header(4, wide, 1, 1), Err(Error::ShapeTooLarge { found: (wide, 1) }));
        assert_eq!(encode_header(8, 1, wide, wide), Err(Error::ShapeTooLarge { found: (1, wide) }));
        assert_eq!(encode_header(4, wide, 1, 0), Err(Error::ShapeTooLarge { found: (wide, 1) }));
        let widest = u32::MAX as usize;
        assert!(encode_header(4, widest, 1, 1).is_ok());
    }
}
