//! Property tests: on random shapes, batches and values, the forward and
//! backward passes equal an independent f64 computation within the
//! rounding bound of `common::assert_close` (`n·ε·Σ|terms|`).
//!
//! Widths are const generics, so "random shapes" means a random pick from
//! the kernel tests' list of compiled shapes, with a random run-time batch.

use crate::SMALL_BATCHES;
use crate::common::{self, assert_close, flat};
use proptest::prelude::*;
use tinylinear::{Element, Grads, Linear};

/// Runs forward and both backward forms of a `DIN → DOUT` layer on the given
/// values and compares every output with the f64 oracle.
fn agrees_with_f64<T: Element, const DIN: usize, const DOUT: usize>(values: &[f64], batch: usize) {
    let mut next = values.iter().cycle().map(|&v| T::from_f64(v));
    let mut layer = Linear::<DIN, DOUT, T>::zeroed();
    layer.weight.as_flattened_mut().iter_mut().chain(&mut layer.bias).for_each(|w| *w = next.next().unwrap());
    let x: Vec<[T; DIN]> = (0..batch).map(|_| core::array::from_fn(|_| next.next().unwrap())).collect();
    let dy: Vec<[T; DOUT]> = (0..batch).map(|_| core::array::from_fn(|_| next.next().unwrap())).collect();
    let (w, b, xf, dyf) = (flat(&layer.weight), flat(&[layer.bias]), flat(&x), flat(&dy));

    let mut y = vec![[T::ZERO; DOUT]; batch];
    layer.forward_slice(&x, &mut y).unwrap();
    assert_close("Y", y.as_flattened(), &common::forward(&xf, &w, Some(&b), batch, DIN, DOUT));

    let mut dx = vec![[T::ZERO; DIN]; batch];
    let mut grads = Grads::zeroed();
    layer.backward_overwrite_slice(&x, &dy, &mut dx, &mut grads).unwrap();
    assert_close("dX", dx.as_flattened(), &common::backward_input(&dyf, &w, batch, DIN, DOUT));
    assert_close("dW", grads.weight.as_flattened(), &common::backward_weight(&xf, &dyf, None, batch, DIN, DOUT));
    assert_close("db", &grads.bias, &common::backward_bias(&dyf, None, batch, DOUT));

    let (old_w, old_b) = (flat(&grads.weight), flat(&[grads.bias]));
    layer.backward_slice(&x, &dy, &mut dx, &mut grads).unwrap();
    assert_close(
        "dW accumulated",
        grads.weight.as_flattened(),
        &common::backward_weight(&xf, &dyf, Some(&old_w), batch, DIN, DOUT),
    );
    assert_close("db accumulated", &grads.bias, &common::backward_bias(&dyf, Some(&old_b), batch, DOUT));
}

/// One compiled shape, named (as a failing case prints it), and
/// `agrees_with_f64` at its types.
type Check = (&'static str, fn(&[f64], usize));

/// Every small listed shape of `elem_bytes`-byte elements: those the
/// kernel tests check at every batch, whose kernels they compile already.
fn small_shapes(elem_bytes: usize) -> Vec<Check> {
    let mut checks: Vec<Check> = Vec::new();
    macro_rules! collect {
        ($elem:ty, $din:literal, $dout:literal, $batches:expr) => {
            if size_of::<$elem>() == elem_bytes && $batches[..] == SMALL_BATCHES[..] {
                let name = concat!(stringify!($elem), " ", stringify!($din), " -> ", stringify!($dout));
                checks.push((name, agrees_with_f64::<$elem, $din, $dout>));
            }
        };
    }
    kernel_test_shapes!(collect);
    checks
}

/// Values in a wide dynamic range, with exact zeros and ±1 mixed in.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => -1.0f64..1.0,
        1 => Just(0.0),
        1 => prop_oneof![Just(1.0), Just(-1.0)],
        1 => -1.0e4f64..1.0e4,
        1 => (-1.0f64..1.0).prop_map(|v| v * 1.0e-4),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn f32_layers_agree_with_f64(
        (_shape, check) in prop::sample::select(small_shapes(4)),
        batch in 0usize..20,
        values in prop::collection::vec(value(), 1..64),
    ) {
        check(&values, batch);
    }

    #[test]
    fn f64_layers_agree_with_f64(
        (_shape, check) in prop::sample::select(small_shapes(8)),
        batch in 0usize..20,
        values in prop::collection::vec(value(), 1..64),
    ) {
        check(&values, batch);
    }
}
