//! The byte format: round trips, and every refusal as a clear error value.

use tinylinear::{Error, Linear, LinearNoBias, bytes};

/// A header written by hand, independently of `write_le_bytes`.
fn header(elem: u32, din: u32, dout: u32, bias: u32) -> Vec<u8> {
    let mut out = b"TLIN".to_vec();
    for field in [elem, din, dout, bias] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    out
}

#[test]
fn a_hand_written_file_reads_in_the_crates_layout() {
    // W = [[1, 2, 3], [4, 5, 6]] (2 × 3, row-major), b = [-1, -2, -3].
    let mut file = header(4, 2, 3, 3);
    for v in [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, -1.0, -2.0, -3.0] {
        file.extend_from_slice(&v.to_le_bytes());
    }
    let layer = Linear::<2, 3>::from_le_bytes(&file).unwrap();
    assert_eq!(layer.weight, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    assert_eq!(layer.bias, [-1.0, -2.0, -3.0]);
    assert_eq!(file.len(), Linear::<2, 3>::BYTE_LEN);
    assert_eq!(bytes::HEADER_BYTES, 20);
}

#[test]
fn f64_and_bias_free_layers_read_too() {
    let mut file = header(8, 1, 2, 0);
    for v in [0.1f64, -7.5] {
        file.extend_from_slice(&v.to_le_bytes());
    }
    let layer = LinearNoBias::<1, 2, f64>::from_le_bytes(&file).unwrap();
    assert_eq!(layer.weight, [[0.1, -7.5]]);
}

#[test]
fn write_then_read_is_the_identity_bit_for_bit() {
    let mut layer = Linear::<5, 7, f64>::torch_init(3);
    layer.weight[2][4] = -0.0;
    layer.bias[6] = f64::INFINITY;
    let mut file = vec![0u8; Linear::<5, 7, f64>::BYTE_LEN];
    assert_eq!(layer.write_le_bytes(&mut file), Ok(file.len()));
    let back = Linear::<5, 7, f64>::from_le_bytes(&file).unwrap();
    let bits =
        |l: &Linear<5, 7, f64>| l.weight.iter().flatten().chain(&l.bias).map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&back), bits(&layer));

    let nobias = LinearNoBias::<3, 2>::torch_init(9);
    let mut file = vec![0u8; LinearNoBias::<3, 2>::BYTE_LEN];
    nobias.write_le_bytes(&mut file).unwrap();
    assert_eq!(LinearNoBias::<3, 2>::from_le_bytes(&file), Ok(nobias));
}

#[test]
fn every_mismatch_is_a_clear_error() {
    let layer = Linear::<2, 3>::torch_init(1);
    let mut file = vec![0u8; Linear::<2, 3>::BYTE_LEN];
    layer.write_le_bytes(&mut file).unwrap();

    // One byte short, one byte long, and shorter than the header.
    let short = Linear::<2, 3>::from_le_bytes(&file[..55]);
    assert_eq!(short, Err(Error::ByteLength { expected: 56, found: 55 }));
    let mut long = file.clone();
    long.push(0);
    assert_eq!(Linear::<2, 3>::from_le_bytes(&long), Err(Error::ByteLength { expected: 56, found: 57 }));
    assert_eq!(Linear::<2, 3>::from_le_bytes(&[]), Err(Error::ByteLength { expected: 56, found: 0 }));

    let mut bad = file.clone();
    bad[0] = b'X';
    assert_eq!(Linear::<2, 3>::from_le_bytes(&bad), Err(Error::BadMagic { found: *b"XLIN" }));

    // The same bytes read as another shape, element type or bias.
    assert_eq!(Linear::<3, 2>::from_le_bytes(&file), Err(Error::ShapeMismatch { expected: (3, 2), found: (2, 3) }));
    assert_eq!(Linear::<2, 3, f64>::from_le_bytes(&file), Err(Error::ElementSize { expected: 8, found: 4 }));
    assert_eq!(LinearNoBias::<2, 3>::from_le_bytes(&file), Err(Error::BiasLength { expected: 0, found: 3 }));

    // A buffer too small to write into.
    let mut small = [0u8; 10];
    assert_eq!(layer.write_le_bytes(&mut small), Err(Error::ByteLength { expected: 56, found: 10 }));
    assert_eq!(small, [0u8; 10]);
}

#[test]
fn another_kind_of_file_is_bad_magic_at_any_length() {
    // Four bytes, five, one short of a header, a header, and the right length.
    assert_eq!(Linear::<2, 3>::from_le_bytes(b"XXXX"), Err(Error::BadMagic { found: *b"XXXX" }));
    assert_eq!(
        Linear::<2, 3>::from_le_bytes(&[0x89, b'P', b'N', b'G', 0]),
        Err(Error::BadMagic { found: *b"\x89PNG" })
    );
    let mut other = header(4, 2, 3, 3);
    other[..4].copy_from_slice(b"RIFF");
    assert_eq!(Linear::<2, 3>::from_le_bytes(&other[..19]), Err(Error::BadMagic { found: *b"RIFF" }));
    assert_eq!(Linear::<2, 3>::from_le_bytes(&other), Err(Error::BadMagic { found: *b"RIFF" }));
    other.resize(56, 0);
    assert_eq!(Linear::<2, 3>::from_le_bytes(&other), Err(Error::BadMagic { found: *b"RIFF" }));
    assert_eq!(LinearNoBias::<2, 3, f64>::from_le_bytes(&other), Err(Error::BadMagic { found: *b"RIFF" }));

    // Too short to hold the magic, or the magic and a cut header: the length.
    assert_eq!(Linear::<2, 3>::from_le_bytes(b"XXX"), Err(Error::ByteLength { expected: 56, found: 3 }));
    assert_eq!(Linear::<2, 3>::from_le_bytes(b"TLIN"), Err(Error::ByteLength { expected: 56, found: 4 }));
    let cut = header(4, 2, 3, 3);
    assert_eq!(Linear::<2, 3>::from_le_bytes(&cut[..19]), Err(Error::ByteLength { expected: 56, found: 19 }));
}

#[test]
fn with_several_faults_the_first_documented_one_is_reported() {
    // Each step fixes the fault reported before, leaving the later ones.
    // Expected by Linear<2, 3> (f32): 4-byte elements, 2 × 3, bias 3, 56 bytes.
    let mut file = header(8, 3, 2, 0);
    file[0] = b'X';
    file.push(0); // 21 bytes: the wrong length too.
    assert_eq!(Linear::<2, 3>::from_le_bytes(&file), Err(Error::BadMagic { found: *b"XLIN" }));
    file[0] = b'T';
    assert_eq!(Linear::<2, 3>::from_le_bytes(&file), Err(Error::ElementSize { expected: 4, found: 8 }));
    file[4] = 4;
    assert_eq!(Linear::<2, 3>::from_le_bytes(&file), Err(Error::ShapeMismatch { expected: (2, 3), found: (3, 2) }));
    file[8] = 2;
    file[12] = 3;
    assert_eq!(Linear::<2, 3>::from_le_bytes(&file), Err(Error::BiasLength { expected: 3, found: 0 }));
    file[16] = 3;
    assert_eq!(Linear::<2, 3>::from_le_bytes(&file), Err(Error::ByteLength { expected: 56, found: 21 }));
    file.resize(56, 0);
    assert_eq!(Linear::<2, 3>::from_le_bytes(&file), Ok(Linear::zeroed()));
}

/// The magic is checked first in `const` evaluation too.
const NOT_A_LAYER: Result<Linear<1, 1>, Error> = Linear::<1, 1>::from_le_bytes(b"ELF\x7f");

#[test]
fn the_order_holds_in_const_context() {
    assert_eq!(NOT_A_LAYER, Err(Error::BadMagic { found: *b"ELF\x7f" }));
}

/// (Only a 64-bit `usize` holds a width past the header's u32.)
#[test]
#[cfg(target_pointer_width = "64")]
fn a_too_large_shape_prints_what_was_found() {
    let text = Error::ShapeTooLarge { found: (5_000_000_000, 2) }.to_string();
    assert_eq!(text, "layer bytes: d_in × d_out = 5000000000 × 2 does not fit the u32 header");
}

#[test]
fn errors_print_what_was_expected_and_found() {
    let text = Error::ByteLength { expected: 56, found: 55 }.to_string();
    assert_eq!(text, "layer bytes: expected 56 bytes for this shape, found 55");
    let text = Error::ShapeMismatch { expected: (3, 2), found: (2, 3) }.to_string();
    assert_eq!(text, "layer bytes: expected d_in × d_out = 3 × 2, found 2 × 3");
}

/// Built at compile time: this is what a firmware `static` does.
const BAKED: Linear<1, 2> = Linear::<1, 2>::from_le_bytes_baked(&{
    let mut file = [0u8; 36];
    let head = *b"TLIN\x04\0\0\0\x01\0\0\0\x02\0\0\0\x02\0\0\0";
    let mut i = 0;
    while i < 20 {
        file[i] = head[i];
        i += 1;
    }
    let one = 1.5f32.to_le_bytes();
    file[20] = one[0];
    file[21] = one[1];
    file[22] = one[2];
    file[23] = one[3];
    file
});

#[test]
fn baked_in_const_context() {
    assert_eq!(BAKED.weight, [[1.5, 0.0]]);
    assert_eq!(BAKED.bias, [0.0, 0.0]);
}
