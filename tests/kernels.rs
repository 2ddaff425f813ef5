//! The layer's forward and backward passes against the independent f64
//! oracle in `common`, on many shapes (odd ones included) and batches, for
//! f32 and f64, with and without bias, accumulating and overwriting.

mod common;

use common::{Data, assert_close, flat};
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

/// Batches checked for every shape: every one from 0 to 20, and 33.
const BATCHES: [usize; 22] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 33];

/// Checks every pass of a `DIN → DOUT` layer at every batch in `BATCHES`.
fn check_shape<T: Element, const DIN: usize, const DOUT: usize>(seed: u64) {
    check_shape_at::<T, DIN, DOUT>(seed, &BATCHES);
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

/// Calls `check_shape` for every (din, dout) pair of the two lists, in f32 and f64.
macro_rules! check_shapes {
    ($seed:expr; [$($din:literal),*] by $douts:tt) => {
        $( check_shapes!(@row $seed; $din; $douts); )*
    };
    (@row $seed:expr; $din:literal; [$($dout:literal),*]) => {
        $(
            check_shape::<f32, $din, $dout>($seed + $din * 1000 + $dout);
            check_shape::<f64, $din, $dout>($seed + $din * 1000 + $dout);
        )*
    };
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri; the hand-computed tests cover the same code")]
fn every_shape_up_to_20_matches_the_f64_oracle() {
    check_shapes!(1; [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
        by [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri; the hand-computed tests cover the same code")]
fn odd_larger_shapes_match_the_f64_oracle() {
    check_shapes!(2; [1, 7, 31, 33, 63, 65, 127, 129] by [1, 3, 31, 33, 63, 65, 127, 129]);
    check_shape::<f32, 128, 64>(3);
    check_shape::<f64, 257, 31>(4);
    check_shape::<f32, 3, 257>(5);
}

/// Large layers take other paths: the forward packs 512-deep blocks of a
/// panel of W once the panel's rows, read in place, would claim more than
/// 512 KiB of cache (`d_in` times the power-of-two factor of W's row
/// spacing), dW packs sixteen 128-deep panels of dY at a time once the batch
/// makes an in-place tile's lines claim more than 128 KiB, and dX packs
/// 512-deep blocks of Wᵀ at any size (AVX). Each needs two row tiles.
/// Shapes and batches here cross a packed block, with ragged rows, inputs
/// and batches:
/// - the packed forward: 531 → 256 (f32: a last block 19 deep) and
///   520 → 128 (f64: 8 deep, and at 131 rows, or 259 where blocks are
///   256 deep as on AVX-512, two groups of rows sharing one packed block);
/// - packed dW: those two at 131 rows (two 128-row blocks of dY, the last
///   3 deep; f64 also at 259, three), and 97 → 1024 (f32) and 43 → 512
///   (f64), with more panels than one pass packs and a short copy of X at
///   the end of each row of dW, within one block and across two;
/// - the same kernels in place, with column tails, and at 400 and 520
///   rows in several groups of rows: 300 → 70, 261 → 37, 97 → 93,
///   129 → 129, 61 → 300, 43 → 261, 531 → 70 and 520 → 37;
/// - dX past one block of Wᵀ: 41 → 603 (f32), 19 → 530 (f64);
/// - batch 1 row by row (AVX builds: W past L1, rows of more than 8
///   vectors), with and without column tails: 97 → 1024, 61 → 300 and
///   43 → 261.
#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn large_layers_across_block_edges_match_the_f64_oracle() {
    check_shape_at::<f32, 531, 256>(30, &[12, 13, 131]);
    check_shape_at::<f64, 520, 128>(31, &[12, 19, 131, 259]);
    check_shape_at::<f32, 97, 1024>(32, &[1, 32, 65, 131]);
    check_shape_at::<f64, 43, 512>(33, &[32, 70, 131]);
    check_shape_at::<f32, 300, 70>(6, &[11, 12, 13, 20, 33, 520]);
    check_shape_at::<f64, 261, 37>(7, &[12, 14, 19, 300]);
    check_shape_at::<f32, 129, 129>(8, &[255, 256, 257, 300]);
    check_shape_at::<f64, 97, 93>(9, &[12, 262]);
    check_shape_at::<f32, 97, 93>(12, &[400]);
    check_shape_at::<f32, 61, 300>(13, &[1, 12, 64, 65, 131]);
    check_shape_at::<f64, 43, 261>(14, &[1, 13, 64, 70]);
    check_shape_at::<f32, 531, 70>(15, &[12, 13, 33]);
    check_shape_at::<f64, 520, 37>(16, &[12, 19]);
    // dX's depth is d_out: blocks of Wᵀ past 512, a ragged last 8 × 8 (or
    // 4 × 4) transposition, inputs left after the last panel.
    check_shape_at::<f32, 41, 603>(10, &[7, 8, 12, 13, 31]);
    check_shape_at::<f64, 19, 530>(11, &[12, 17]);
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

#[test]
fn mismatched_run_time_batches_are_refused_without_writing() {
    use tinylinear::Error;
    let layer = Linear::<2, 3>::torch_init(9);
    let x = [[1.0, 2.0]; 4];

    let mut y = [[-1.0; 3]; 3];
    assert_eq!(layer.forward_slice(&x, &mut y), Err(Error::BatchMismatch { argument: "y", expected: 4, found: 3 }));
    assert_eq!(y, [[-1.0; 3]; 3]);

    let good_dy = [[1.0; 3]; 4];
    let mut good_dx = [[-1.0; 2]; 4];
    let mut grads = Grads::new([[9.0; 3]; 2], [9.0; 3]);
    let untouched = grads.clone();
    let short_dy = [[1.0; 3]; 3];
    let mut long_dx = [[-1.0; 2]; 5];
    assert_eq!(
        layer.backward_slice(&x, &short_dy, &mut good_dx, &mut grads),
        Err(Error::BatchMismatch { argument: "dy", expected: 4, found: 3 })
    );
    assert_eq!(
        layer.backward_overwrite_slice(&x, &good_dy, &mut long_dx, &mut grads),
        Err(Error::BatchMismatch { argument: "dx", expected: 4, found: 5 })
    );
    assert_eq!(good_dx, [[-1.0; 2]; 4]);
    assert_eq!(long_dx, [[-1.0; 2]; 5]);
    assert_eq!(grads, untouched);

    let no_bias = LinearNoBias::<2, 3>::torch_init(9);
    let mut grads_nb = GradsNoBias::zeroed();
    assert!(no_bias.forward_slice(&x, &mut y).is_err());
    assert!(no_bias.backward_slice(&x, &short_dy, &mut good_dx, &mut grads_nb).is_err());
    assert!(no_bias.backward_overwrite_slice(&x, &good_dy, &mut long_dx, &mut grads_nb).is_err());
    assert_eq!(grads_nb, GradsNoBias::zeroed());

    let message = format!("{}", Error::BatchMismatch { argument: "dy", expected: 4, found: 3 });
    assert_eq!(message, "batch mismatch: `dy` has 3 rows but `x` has 4");
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

#[test]
fn const_batch_and_run_time_batch_agree_exactly() {
    let mut data = Data::new(11);
    let layer: Linear<5, 3> = Linear::new(data.matrix(), data.array());
    let x: [[f32; 5]; 6] = data.matrix();
    let dy: [[f32; 3]; 6] = data.matrix();
    let (mut y_const, mut y_slice) = ([[0.0; 3]; 6], [[0.0; 3]; 6]);
    layer.forward(&x, &mut y_const);
    layer.forward_slice(&x, &mut y_slice).unwrap();
    assert_eq!(y_const, y_slice);

    let (mut dx_const, mut dx_slice) = ([[0.0; 5]; 6], [[0.0; 5]; 6]);
    let (mut g_const, mut g_slice) = (Grads::zeroed(), Grads::zeroed());
    layer.backward(&x, &dy, &mut dx_const, &mut g_const);
    layer.backward_slice(&x, &dy, &mut dx_slice, &mut g_slice).unwrap();
    assert_eq!((dx_const, &g_const), (dx_slice, &g_slice));

    // Accumulating onto zeros is overwriting; accumulating twice is doubling, bit for bit.
    let mut g_over = Grads::new([[1.0; 3]; 5], [1.0; 3]);
    layer.backward_overwrite(&x, &dy, &mut dx_const, &mut g_over);
    assert_eq!(g_over, g_const);
    layer.backward(&x, &dy, &mut dx_const, &mut g_const);
    assert!(g_const.weight.iter().flatten().zip(g_over.weight.iter().flatten()).all(|(a, b)| *a == 2.0 * b));
    assert!(g_const.bias.iter().zip(&g_over.bias).all(|(a, b)| *a == 2.0 * b));
}

#[test]
fn from_torch_is_one_transpose() {
    // nn.Linear(3, 2).weight is 2 × 3: row j holds the weights into output j.
    let torch_weight = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    let layer = Linear::<3, 2, f64>::from_torch(&torch_weight, &[0.5, -0.5]);
    for (k, row) in layer.weight.iter().enumerate() {
        for (j, &w) in row.iter().enumerate() {
            assert_eq!(w, torch_weight[j][k]);
        }
    }
    // What PyTorch computes, x·Wᵀ + b, written out with its own layout:
    let x = [[1.0, 0.0, -1.0]];
    let torch_y: Vec<f64> =
        (0..2).map(|j| (0..3).map(|k| x[0][k] * torch_weight[j][k]).sum::<f64>() + [0.5, -0.5][j]).collect();
    let mut y = [[0.0; 2]];
    layer.forward(&x, &mut y);
    assert_eq!(y[0].to_vec(), torch_y);
    assert_eq!(LinearNoBias::<3, 2, f64>::from_torch(&torch_weight).weight, layer.weight);
}

#[test]
fn torch_init_is_seeded_bounded_and_uniform() {
    const DIN: usize = 64;
    let layer = Linear::<DIN, 32, f64>::torch_init(2024);
    assert_eq!(layer, Linear::<DIN, 32, f64>::torch_init(2024));
    assert_ne!(layer, Linear::<DIN, 32, f64>::torch_init(2025));
    let bound = 1.0 / (DIN as f64).sqrt(); // 0.125
    let values: Vec<f64> = layer.weight.iter().flatten().chain(&layer.bias).copied().collect();
    assert!(values.iter().all(|v| v.abs() <= bound));
    // U(−a, a) has mean 0 and variance a²/3; with 2,080 draws the sample
    // statistics land well inside these bands.
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    assert!(mean.abs() < 0.01 * bound * 3.0, "mean {mean}");
    assert!((variance / (bound * bound / 3.0) - 1.0).abs() < 0.1, "variance {variance}");
    // Both halves of the interval are used.
    assert!(values.iter().any(|v| *v < -0.9 * bound) && values.iter().any(|v| *v > 0.9 * bound));

    // f32 and bias-free layers draw the same sequence.
    let small = Linear::<DIN, 32, f32>::torch_init(2024);
    assert!(small.weight.iter().flatten().zip(layer.weight.iter().flatten()).all(|(a, b)| *a == *b as f32));
    assert_eq!(LinearNoBias::<DIN, 32, f64>::torch_init(2024).weight, layer.weight);
}

#[test]
fn sgd_step_moves_against_the_gradient() {
    let mut layer = Linear::<2, 2, f64>::new([[1.0, 2.0], [3.0, 4.0]], [0.5, -0.5]);
    let grads = Grads::new([[1.0, -1.0], [0.5, 0.0]], [2.0, -2.0]);
    layer.sgd_step(&grads, 0.5);
    assert_eq!(layer.weight, [[0.5, 2.5], [2.75, 4.0]]);
    assert_eq!(layer.bias, [-0.5, 0.5]);

    let mut no_bias = LinearNoBias::<2, 2, f64>::new([[1.0, 2.0], [3.0, 4.0]]);
    let mut grads_nb = GradsNoBias::zeroed();
    grads_nb.weight = grads.weight;
    no_bias.sgd_step(&grads_nb, 0.5);
    assert_eq!(no_bias.weight, layer.weight);
}

#[test]
fn sgd_on_a_linear_regression_reduces_the_loss() {
    // Fit y = x·W* + b* from a random start: the loss must fall steadily.
    let mut data = Data::new(5);
    let teacher: Linear<4, 2, f64> = Linear::new(data.matrix(), data.array());
    let mut student = Linear::<4, 2, f64>::torch_init(1);
    let x: [[f64; 4]; 16] = data.matrix();
    let mut target = [[0.0; 2]; 16];
    teacher.forward(&x, &mut target);

    let mut losses = Vec::new();
    let (mut y, mut dy, mut dx, mut grads) = ([[0.0; 2]; 16], [[0.0; 2]; 16], [[0.0; 4]; 16], Grads::zeroed());
    for _ in 0..200 {
        student.forward(&x, &mut y);
        losses.push(tinylinear::gradcheck::half_squared_error(&y, &target) / 16.0);
        for r in 0..16 {
            for j in 0..2 {
                dy[r][j] = (y[r][j] - target[r][j]) / 16.0;
            }
        }
        student.backward_overwrite(&x, &dy, &mut dx, &mut grads);
        student.sgd_step(&grads, 0.5);
    }
    assert!(losses.windows(2).all(|w| w[1] <= w[0]), "loss rose");
    assert!(losses[199] < 1e-3 * losses[0], "loss {} -> {}", losses[0], losses[199]);
}

#[test]
fn zeroing_gradients_in_place() {
    let mut grads = Grads::<3, 2>::new([[1.0; 2]; 3], [2.0; 2]);
    grads.zero();
    assert_eq!(grads, Grads::zeroed());
    let mut grads_nb = GradsNoBias::<3, 2>::zeroed();
    grads_nb.weight[2][1] = 4.0;
    grads_nb.zero();
    assert_eq!(grads_nb, GradsNoBias::default());
}
