//! The layer's forward and backward passes against the independent f64
//! oracle in `common`, on the shapes and batches of `kernel_test_shapes!`
//! (chosen by the tile and vector edges they cross, odd widths among them),
//! for f32 and f64, with and without bias, accumulating and overwriting.

use crate::SMALL_BATCHES;
use crate::common::{self, Data, assert_close, flat};
use tinylinear::kernel::{self, Epilogue};
use tinylinear::{Element, Grads, GradsNoBias, Linear, LinearNoBias};

/// A test epilogue that treats each sign differently, so that one applied
/// twice, skipped or applied to the wrong value shows.
#[derive(Clone, Copy)]
struct Bend;

impl<T: Element> Epilogue<T> for Bend {
    fn apply(self, value: T) -> T {
        if value < T::ZERO { value * T::from_f64(0.25) } else { value * value + T::from_f64(1.0) }
    }
}

/// Asserts two outputs are the same values bit for bit.
fn assert_same_bits<T: Element>(what: &str, got: &[T], expected: &[T]) {
    assert_eq!(got.len(), expected.len(), "{what}: length");
    for (at, (g, e)) in got.iter().zip(expected).enumerate() {
        assert!(g.to_f64().to_bits() == e.to_f64().to_bits(), "{what}: [{at}] is {g:?}, expected {e:?}");
    }
}

/// Checks every pass of a `DIN → DOUT` layer at each of `batches`.
fn check_shape_at<T: Element, const DIN: usize, const DOUT: usize>(seed: u64, batches: &[usize]) {
    let mut data = Data::new(seed);
    // On the heap: the shapes that pack hold 512 KiB or more of W, and
    // unoptimised test code would copy it through the stack.
    let mut layer = Linear::<DIN, DOUT, T>::boxed_zeroed();
    for w in layer.weight.as_flattened_mut() {
        *w = T::from_f64(data.mixed());
    }
    for b in &mut layer.bias {
        *b = T::from_f64(data.mixed());
    }
    let mut no_bias = LinearNoBias::<DIN, DOUT, T>::boxed_zeroed();
    no_bias.weight.copy_from_slice(&layer.weight);
    let (w, b) = (flat(&layer.weight), flat(&[layer.bias]));

    for &batch in batches {
        let what = |pass: &str| format!("{} {DIN}->{DOUT} batch {batch}: {pass}", T::NAME);
        let x = data.mixed_rows::<T, DIN>(batch);
        let dy = data.mixed_rows::<T, DOUT>(batch);
        let (xf, dyf) = (flat(&x), flat(&dy));

        let mut y = vec![[T::ZERO; DOUT]; batch];
        layer.forward_slice(&x, &mut y).unwrap();
        assert_close(&what("Y = X·W + b"), y.as_flattened(), &common::forward(&xf, &w, Some(&b), batch, DIN, DOUT));
        // A fused epilogue gives exactly what applying it afterwards gives.
        let mut fused = vec![[T::from_f64(9.0); DOUT]; batch];
        kernel::forward_with(&x, &layer.weight, Some(&layer.bias), &mut fused, Bend);
        let unfused: Vec<T> = y.as_flattened().iter().map(|&v| Bend.apply(v)).collect();
        assert_same_bits(&what("f(X·W + b) fused"), fused.as_flattened(), &unfused);
        no_bias.forward_slice(&x, &mut y).unwrap();
        assert_close(&what("Y = X·W"), y.as_flattened(), &common::forward(&xf, &w, None, batch, DIN, DOUT));

        let expected_dx = common::backward_input(&dyf, &w, batch, DIN, DOUT);
        let expected_dw = common::backward_weight(&xf, &dyf, None, batch, DIN, DOUT);
        let expected_db = common::backward_bias(&dyf, None, batch, DOUT);

        // Overwrite: stale values in the outputs must not leak into the result.
        let mut dx = vec![[T::from_f64(7.0); DIN]; batch];
        let mut grads = Grads::<DIN, DOUT, T>::boxed_zeroed();
        grads.weight.as_flattened_mut().fill(T::from_f64(-3.0));
        grads.bias.fill(T::from_f64(5.0));
        layer.backward_overwrite_slice(&x, &dy, &mut dx, &mut grads).unwrap();
        assert_close(&what("dX = dY·Wᵀ"), dx.as_flattened(), &expected_dx);
        assert_close(&what("dW = Xᵀ·dY (overwrite)"), grads.weight.as_flattened(), &expected_dw);
        assert_close(&what("db = Σ dY (overwrite)"), &grads.bias, &expected_db);

        // Accumulate: adds onto whatever the gradients held.
        let (old_w, old_b) = (flat(&grads.weight), flat(&[grads.bias]));
        layer.backward_slice(&x, &dy, &mut dx, &mut grads).unwrap();
        assert_close(&what("dX (accumulating call)"), dx.as_flattened(), &expected_dx);
        assert_close(
            &what("dW += Xᵀ·dY"),
            grads.weight.as_flattened(),
            &common::backward_weight(&xf, &dyf, Some(&old_w), batch, DIN, DOUT),
        );
        assert_close(&what("db += Σ dY"), &grads.bias, &common::backward_bias(&dyf, Some(&old_b), batch, DOUT));

        // The bias-free layer computes the same dX and dW.
        let mut dx_nb = vec![[T::ZERO; DIN]; batch];
        let mut grads_nb = GradsNoBias::<DIN, DOUT, T>::boxed_zeroed();
        no_bias.backward_overwrite_slice(&x, &dy, &mut dx_nb, &mut grads_nb).unwrap();
        assert_close(&what("no bias: dX"), dx_nb.as_flattened(), &expected_dx);
        assert_close(&what("no bias: dW"), grads_nb.weight.as_flattened(), &expected_dw);
        no_bias.backward_slice(&x, &dy, &mut dx_nb, &mut grads_nb).unwrap();
        let twice: Vec<f64> = expected_dw.value.iter().map(|v| 2.0 * v).collect();
        let twice = common::Expected {
            value: twice,
            scale: expected_dw.scale.iter().map(|s| 2.0 * s).collect(),
            terms: batch + 1,
        };
        assert_close(&what("no bias: dW accumulated twice"), grads_nb.weight.as_flattened(), &twice);
    }
}

/// Checks every listed shape of `elem_bytes`-byte elements: those listed at
/// every small batch (`SMALL_BATCHES`), or those listed at batches chosen
/// for them (the large and odd layers), each set in a test of its own so
/// that the test harness runs them side by side. (Seeds follow the list,
/// whichever shapes run.)
fn check_listed_shapes(elem_bytes: usize, every_small_batch: bool) {
    let mut seed = 0;
    macro_rules! check {
        ($elem:ty, $din:literal, $dout:literal, $batches:expr) => {
            seed += 1;
            if size_of::<$elem>() == elem_bytes && ($batches[..] == SMALL_BATCHES[..]) == every_small_batch {
                check_shape_at::<$elem, $din, $dout>(seed, $batches);
            }
        };
    }
    kernel_test_shapes!(check);
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri; the hand-computed tests cover the same code")]
fn f32_layers_at_every_small_batch_match_the_f64_oracle() {
    check_listed_shapes(4, true);
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri; the hand-computed tests cover the same code")]
fn f64_layers_at_every_small_batch_match_the_f64_oracle() {
    check_listed_shapes(8, true);
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn f32_layers_at_chosen_batches_match_the_f64_oracle() {
    check_listed_shapes(4, false);
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn f64_layers_at_chosen_batches_match_the_f64_oracle() {
    check_listed_shapes(8, false);
}

/// Puts NaN, +∞ and −∞ into X, dY and W, spread over rows and columns, and
/// checks every pass against the f64 oracle, which propagates them as IEEE
/// says (∞·0 = NaN, ∞ − ∞ = NaN, NaN anywhere in a sum).
fn check_non_finite<T: Element, const DIN: usize, const DOUT: usize>(seed: u64, batch: usize) {
    let mut data = Data::new(seed);
    let mut layer = Linear::<DIN, DOUT, T>::boxed_zeroed();
    for w in layer.weight.as_flattened_mut().iter_mut().chain(&mut layer.bias) {
        *w = T::from_f64(data.mixed());
    }
    let mut x = data.mixed_rows::<T, DIN>(batch);
    let mut dy = data.mixed_rows::<T, DOUT>(batch);
    for (n, special) in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY].into_iter().enumerate() {
        let special = T::from_f64(special);
        x[(n * 5) % batch][(n * 7 + 1) % DIN] = special;
        dy[(n * 3 + 1) % batch][(n * 11 + 2) % DOUT] = special;
        layer.weight[(n * 13 + 3) % DIN][(n * 5 + 4) % DOUT] = special;
    }
    let (w, b, xf, dyf) = (flat(&layer.weight), flat(&[layer.bias]), flat(&x), flat(&dy));
    let what = |pass: &str| format!("{} {DIN}->{DOUT} batch {batch} with NaN and ∞: {pass}", T::NAME);

    let mut y = vec![[T::ZERO; DOUT]; batch];
    layer.forward_slice(&x, &mut y).unwrap();
    assert_close(&what("Y"), y.as_flattened(), &common::forward(&xf, &w, Some(&b), batch, DIN, DOUT));
    let mut dx = vec![[T::ZERO; DIN]; batch];
    let mut grads = Grads::<DIN, DOUT, T>::boxed_zeroed();
    layer.backward_overwrite_slice(&x, &dy, &mut dx, &mut grads).unwrap();
    assert_close(&what("dX"), dx.as_flattened(), &common::backward_input(&dyf, &w, batch, DIN, DOUT));
    let expected_dw = common::backward_weight(&xf, &dyf, None, batch, DIN, DOUT);
    assert_close(&what("dW"), grads.weight.as_flattened(), &expected_dw);
    assert_close(&what("db"), &grads.bias, &common::backward_bias(&dyf, None, batch, DOUT));
}

/// Non-finite values through every kernel path: batch 1 (GEMV, outer
/// product, and row by row at 41 → 300 and f64 19 → 261), plain tiles,
/// the packed dX, and the packed forward and dW (129 → 1024 in f32 and
/// 257 → 256 in f64, both packing).
#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn non_finite_values_propagate_on_every_kernel_path() {
    check_non_finite::<f32, 19, 17>(20, 1);
    check_non_finite::<f32, 19, 17>(21, 9);
    check_non_finite::<f64, 19, 17>(22, 13);
    check_non_finite::<f32, 300, 70>(23, 13);
    check_non_finite::<f64, 97, 93>(24, 12);
    check_non_finite::<f32, 41, 300>(25, 13);
    check_non_finite::<f32, 41, 300>(29, 1);
    check_non_finite::<f64, 19, 261>(30, 1);
    check_non_finite::<f64, 19, 261>(26, 12);
    check_non_finite::<f32, 129, 1024>(27, 33);
    check_non_finite::<f64, 257, 256>(28, 70);
}

#[test]
fn hand_computed_two_by_three() {
    // W (2 × 3) = [[1, 2, 3], [4, 5, 6]], b = [0.5, 0, -0.5], x = [1, -1]:
    // y = [1 − 4 + 0.5, 2 − 5, 3 − 6 − 0.5] = [−2.5, −3, −3.5]
    let layer = Linear::<2, 3, f64>::new([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [0.5, 0.0, -0.5]);
    let x = [[1.0, -1.0], [2.0, 0.0]];
    let mut y = [[0.0; 3]; 2];
    layer.forward(&x, &mut y);
    assert_eq!(y, [[-2.5, -3.0, -3.5], [2.5, 4.0, 5.5]]);

    // dY = [[1, 0, −1], [0, 2, 0]]
    // dX = dY·Wᵀ: row 0 = [1 − 3, 4 − 6] = [−2, −2]; row 1 = [4, 10]
    // dW = Xᵀ·dY: dW[0] = 1·[1, 0, −1] + 2·[0, 2, 0] = [1, 4, −1]; dW[1] = −1·[1, 0, −1] = [−1, 0, 1]
    // db = column sums of dY = [1, 2, −1]
    let dy = [[1.0, 0.0, -1.0], [0.0, 2.0, 0.0]];
    let mut dx = [[0.0; 2]; 2];
    let mut grads = Grads::zeroed();
    layer.backward_overwrite(&x, &dy, &mut dx, &mut grads);
    assert_eq!(dx, [[-2.0, -2.0], [4.0, 10.0]]);
    assert_eq!(grads.weight, [[1.0, 4.0, -1.0], [-1.0, 0.0, 1.0]]);
    assert_eq!(grads.bias, [1.0, 2.0, -1.0]);
}

#[test]
fn nan_and_infinity_propagate_as_ieee_says() {
    let layer = Linear::<3, 2>::new([[1.0, 0.0], [2.0, 1.0], [0.0, 0.0]], [0.0, 0.0]);
    let mut y = [[0.0; 2]; 4];
    let x = [
        [f32::NAN, 1.0, 1.0],                    // NaN times anything is NaN: both outputs
        [f32::INFINITY, 1.0, 1.0],               // ∞·1 = ∞ in output 0, ∞·0 = NaN in output 1
        [1.0, 1.0, f32::INFINITY],               // ∞·0 = NaN in both: no "skip the zero weight" shortcut
        [f32::INFINITY, f32::NEG_INFINITY, 0.0], // ∞ + (−∞)·2 = NaN; 0·∞ + (−∞)·1 = NaN
    ];
    layer.forward(&x, &mut y);
    assert!(y[0][0].is_nan() && y[0][1].is_nan());
    assert_eq!(y[1][0], f32::INFINITY);
    assert!(y[1][1].is_nan());
    assert!(y[2][0].is_nan() && y[2][1].is_nan());
    assert!(y[3][0].is_nan() && y[3][1].is_nan());

    // A NaN upstream gradient poisons exactly its row of dX, its column of dW and its db entry.
    let dy = [[f32::NAN, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]];
    let x = [[1.0; 3]; 4];
    let mut dx = [[0.0; 3]; 4];
    let mut grads = Grads::zeroed();
    layer.backward_overwrite(&x, &dy, &mut dx, &mut grads);
    assert!(dx[0].iter().all(|v| v.is_nan()));
    assert_eq!(dx[1], [0.0, 1.0, 0.0]);
    assert!(grads.weight.iter().all(|row| row[0].is_nan() && row[1] == 3.0));
    assert!(grads.bias[0].is_nan());
    assert_eq!(grads.bias[1], 3.0);
}

/// `kernel::backward_input_and_weight` against `backward_input` then
/// `backward_weight`, bit for bit, for batches where `x`, `dy` and `dx`
/// disagree: each equation keeps to the rows its own arguments share.
fn check_one_pass_backward<T: Element, const DIN: usize, const DOUT: usize>(seed: u64) {
    let mut data = Data::new(seed);
    let weight: Box<[[T; DOUT]; DIN]> = Box::new(data.matrix());
    let start: [[T; DOUT]; DIN] = data.matrix();
    for (x_rows, dy_rows, dx_rows) in [
        (1, 1, 1),
        (1, 1, 3),
        (1, 1, 0),
        (1, 2, 1),
        (2, 1, 1),
        (1, 2, 2),
        (3, 3, 2),
        (2, 3, 4),
        (8, 8, 8),
        (13, 15, 9),
        (15, 15, 15),
        (20, 15, 15),
        (16, 16, 16),
    ] {
        // The batches from 8 rows up only add row tiles to the paths the small
        // ones take (under Miri's SSE2 build, 8 rows are two row tiles and go
        // to the two passes, which other tests run there); under Miri they
        // cost twenty minutes.
        if cfg!(miri) && x_rows.max(dy_rows).max(dx_rows) > 4 {
            continue;
        }
        let x = data.mixed_rows::<T, DIN>(x_rows);
        let dy = data.mixed_rows::<T, DOUT>(dy_rows);
        for update in [kernel::Update::Overwrite, kernel::Update::Accumulate] {
            let what = format!("{} {DIN}->{DOUT}, {x_rows}/{dy_rows}/{dx_rows} rows, {update:?}", T::NAME);
            let (mut dx, mut dw) = (vec![[T::from_f64(7.0); DIN]; dx_rows], Box::new(start));
            kernel::backward_input_and_weight(&x, &dy, &weight, &mut dx, &mut dw, update);
            let (mut dx_apart, mut dw_apart) = (vec![[T::from_f64(7.0); DIN]; dx_rows], Box::new(start));
            kernel::backward_input(&dy, &weight, &mut dx_apart);
            kernel::backward_weight(&x, &dy, &mut dw_apart, update);
            assert_same_bits(&format!("{what}: dX"), dx.as_flattened(), dx_apart.as_flattened());
            assert_same_bits(&format!("{what}: dW"), dw.as_flattened(), dw_apart.as_flattened());
            // And both against the oracle, over the rows they share.
            let shared = dy_rows.min(dx_rows);
            let expected = common::backward_input(&flat(&dy[..shared]), &flat(&*weight), shared, DIN, DOUT);
            assert_close(&format!("{what}: dX vs oracle"), dx[..shared].as_flattened(), &expected);
        }
    }
}

#[test]
fn one_pass_backward_equals_the_two_passes_for_any_batches() {
    check_one_pass_backward::<f32, 1, 1>(1);
    check_one_pass_backward::<f64, 3, 7>(2);
    check_one_pass_backward::<f32, 13, 33>(3);
    check_one_pass_backward::<f64, 33, 13>(4);
    check_one_pass_backward::<f32, 100, 37>(5);
    check_one_pass_backward::<f64, 64, 32>(6);
    // W past L1 with long rows: row by row at batch 1 in AVX builds.
    if !cfg!(miri) {
        check_one_pass_backward::<f32, 33, 257>(7);
        check_one_pass_backward::<f64, 43, 261>(8);
    }
}
