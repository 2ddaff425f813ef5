//! The first-order cost formulas of `docs/linear-layer.md`, as `const fn`s.
//!
//! # Conventions
//!
//! - **FLOPs:** one multiply and one add per input–output pair, so a
//!   multiply-add (fused or not) counts as 2. The bias adds of the forward
//!   (`B·d_out`) and the batch sum of the bias gradient are left out, as
//!   `docs/linear-layer.md` leaves them out: they are lower-order terms.
//! - **Traffic:** the lower bound of elements that must be read or written
//!   once each, times the element size `p`. Real kernels move more.
//! - **Counts are `u64`** on every target. A big layer at a big batch passes
//!   2³² FLOPs easily (4096 → 11008 at batch 2048 is 1.8·10¹¹), and firmware
//!   targets have a 32-bit `usize`. Every `usize` is widened to `u64`
//!   before it is added or multiplied. A count that would not fit even in
//!   `u64` is a compile error in `const` context and a panic at run time
//!   (`a count does not fit in u64`), never a wrapped or saturated number;
//!   no real shape comes near it. The budget items and the network ledger
//!   count through the same checked `mul` and `add`.
//!
//! # Examples
//!
//! ```
//! use tinylinear::ledger::cost;
//! // The worked example of docs/linear-layer.md: batch 32, 128 -> 64, f32.
//! assert_eq!(cost::params(128, 64, true), 8_256);
//! assert_eq!(cost::forward_flops(32, 128, 64), 524_288);
//! assert_eq!(cost::forward_traffic_elements(32, 128, 64, true) * 4, 57_600);
//! ```

/// `a · b` in `u64`, refusing to wrap.
pub(crate) const fn mul(a: u64, b: u64) -> u64 {
    match a.checked_mul(b) {
        Some(product) => product,
        None => panic!("tinylinear ledger: a count does not fit in u64"),
    }
}

/// `a + b` in `u64`, refusing to wrap.
pub(crate) const fn add(a: u64, b: u64) -> u64 {
    match a.checked_add(b) {
        Some(sum) => sum,
        None => panic!("tinylinear ledger: a count does not fit in u64"),
    }
}

/// Trainable parameters: `d_in·d_out + d_out` (no `+ d_out` without a bias).
#[must_use]
pub const fn params(din: usize, dout: usize, bias: bool) -> u64 {
    let weights = mul(din as u64, dout as u64);
    if bias { add(weights, dout as u64) } else { weights }
}

/// Bytes of parameters: `p · params`.
#[must_use]
pub const fn param_bytes(din: usize, dout: usize, bias: bool, elem_bytes: usize) -> u64 {
    mul(params(din, dout, bias), elem_bytes as u64)
}

/// Multiply-adds of one forward pass: `B · d_in · d_out`.
#[must_use]
pub const fn multiply_adds(batch: usize, din: usize, dout: usize) -> u64 {
    mul(mul(batch as u64, din as u64), dout as u64)
}

/// Forward FLOPs: `2 · B · d_in · d_out`.
#[must_use]
pub const fn forward_flops(batch: usize, din: usize, dout: usize) -> u64 {
    mul(2, multiply_adds(batch, din, dout))
}

/// Backward FLOPs: `4 · B · d_in · d_out` (dW = Xᵀ·dY and dX = dY·Wᵀ, each
/// the forward's size).
#[must_use]
pub const fn backward_flops(batch: usize, din: usize, dout: usize) -> u64 {
    mul(4, multiply_adds(batch, din, dout))
}

/// Forward + backward FLOPs: `6 · B · d_in · d_out`.
#[must_use]
pub const fn training_flops(batch: usize, din: usize, dout: usize) -> u64 {
    add(forward_flops(batch, din, dout), backward_flops(batch, din, dout))
}

/// Elements a forward pass must touch at least once:
/// `B·d_in + d_in·d_out + d_out + B·d_out` (X, W, b read; Y written).
#[must_use]
pub const fn forward_traffic_elements(batch: usize, din: usize, dout: usize, bias: bool) -> u64 {
    let x = mul(batch as u64, din as u64);
    let y = mul(batch as u64, dout as u64);
    add(add(x, y), params(din, dout, bias))
}

/// Elements of a `rows × cols` matrix, for activation sizes.
#[must_use]
pub const fn elements(rows: usize, cols: usize) -> u64 {
    mul(rows as u64, cols as u64)
}

/// Bytes of `elements` elements of `elem_bytes` bytes each.
#[must_use]
pub const fn bytes(elements: u64, elem_bytes: usize) -> u64 {
    mul(elements, elem_bytes as u64)
}

/// Arithmetic intensity of the forward pass: FLOPs per byte of the
/// traffic lower bound. Zero for an empty batch of an empty layer.
#[must_use]
pub const fn forward_intensity(batch: usize, din: usize, dout: usize, bias: bool, elem_bytes: usize) -> f64 {
    let traffic = bytes(forward_traffic_elements(batch, din, dout, bias), elem_bytes);
    if traffic == 0 { 0.0 } else { forward_flops(batch, din, dout) as f64 / traffic as f64 }
}

// A wrong formula fails `cargo check`, on every target, 32-bit ones included.
const _: () = {
    assert!(params(4, 3, true) == 15);
    assert!(params(4, 3, false) == 12);
    assert!(param_bytes(4, 3, true, 4) == 60);
    assert!(forward_flops(2, 4, 3) == 48);
    assert!(backward_flops(2, 4, 3) == 96);
    assert!(forward_traffic_elements(2, 4, 3, true) == 8 + 6 + 15);
    // Past 2³²: 4096 -> 11008 at batch 2048.
    assert!(forward_flops(2048, 4096, 11008) == 184_683_593_728);
};
