//! The finite-difference test of `docs/linear-layer.md`, run on the crate's backward
//! pass, and run on deliberately broken backward passes to prove it can fail.

use crate::common::Data;
use tinylinear::gradcheck::{Report, Settings, check_linear};
use tinylinear::{Element, Grads, Linear};

/// `docs/linear-layer.md`: with ε = 1e-5 in f64, `rel < 1e-7` means the gradient is right.
const F64_PASS: f64 = 1e-7;
/// `docs/linear-layer.md`: `rel ≈ 1e-2` or worse signals a bug.
const BUG: f64 = 1e-2;

/// A layer as PyTorch would initialise it, with an input and a target
/// uniform in [-1, 1).
///
/// The realistic weight scale matters to the f64 check: the noise floor of
/// a central difference is the rounding of Y, which grows with |Y|. With
/// weights of ±1 on 128 inputs (|Y| ≈ 4) that floor alone reaches ~1e-7
/// on some entries; with PyTorch's ±1/√128 it sits an order lower.
fn problem<T: Element, const DIN: usize, const DOUT: usize, const B: usize>(
    seed: u64,
) -> (Linear<DIN, DOUT, T>, [[T; DIN]; B], [[T; DOUT]; B]) {
    let mut data = Data::new(seed);
    (Linear::torch_init(seed), data.matrix(), data.matrix())
}

/// Checks the crate's own `backward_overwrite` and `backward` (into zeroed grads).
fn check_own<T: Element, const DIN: usize, const DOUT: usize, const B: usize>(
    seed: u64,
    settings: Settings,
) -> [Report; 2] {
    let (layer, x, target) = problem::<T, DIN, DOUT, B>(seed);
    [
        check_linear(&layer, &x, &target, settings, |l, x, dy, dx, g| l.backward_overwrite(x, dy, dx, g)),
        check_linear(&layer, &x, &target, settings, |l, x, dy, dx, g| l.backward(x, dy, dx, g)),
    ]
}

fn assert_all_below(reports: &[Report], bound: f64, what: &str) {
    for report in reports {
        assert!(report.max_relative_error() < bound, "{what}: {report}");
    }
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri; the square cases below run there")]
fn f64_every_entry_of_small_shapes() {
    let s = Settings::F64;
    assert_all_below(&check_own::<f64, 1, 1, 1>(1, s), F64_PASS, "B1 1->1");
    assert_all_below(&check_own::<f64, 2, 3, 4>(2, s), F64_PASS, "B4 2->3");
    assert_all_below(&check_own::<f64, 3, 2, 1>(3, s), F64_PASS, "B1 3->2");
    assert_all_below(&check_own::<f64, 7, 3, 5>(4, s), F64_PASS, "B5 7->3");
    assert_all_below(&check_own::<f64, 13, 9, 3>(5, s), F64_PASS, "B3 13->9");
    assert_all_below(&check_own::<f64, 16, 33, 7>(6, s), F64_PASS, "B7 16->33");

    // Every entry was checked, not a sample.
    let [report, _] = check_own::<f64, 7, 3, 5>(4, s);
    assert_eq!((report.weight.checked, report.bias.checked, report.input.checked), (21, 3, 35));
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn f64_sample_of_the_worked_example() {
    // Batch 32, 128 -> 64: every 23rd entry of W (357), b (3) and X (179).
    let reports = check_own::<f64, 128, 64, 32>(7, Settings::F64.every(23));
    assert_all_below(&reports, F64_PASS, "B32 128->64");
    assert_eq!(reports[0].weight.checked, 128 * 64 / 23 + 1);
}

/// f32: the looser threshold. With ε = 0.1 ([`Settings::F32`]) the
/// worst entries measured on these shapes are ~3e-3 (gradients near zero,
/// where every f32 rounding of Y shows); correct code stays below 1e-2.
const F32_PASS: f64 = 1e-2;

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn f32_every_entry_with_a_looser_bound() {
    let s = Settings::F32;
    assert_all_below(&check_own::<f32, 2, 3, 4>(2, s), F32_PASS, "f32 B4 2->3");
    assert_all_below(&check_own::<f32, 7, 3, 5>(4, s), F32_PASS, "f32 B5 7->3");
    assert_all_below(&check_own::<f32, 13, 9, 3>(5, s), F32_PASS, "f32 B3 13->9");
    assert_all_below(&check_own::<f32, 128, 64, 32>(7, s.every(23)), F32_PASS, "f32 B32 128->64");
}

// ---- The check must catch the classic bugs. ----

/// A square layer, so that a transposed dW still has the right type.
type Square = Linear<6, 6, f64>;
/// Batch 6 = DOUT, so that summing dY over the wrong axis still fits in db.
const SQUARE_BATCH: usize = 6;

fn square_check(
    mutate: impl FnOnce(
        &[[f64; 6]; SQUARE_BATCH],
        &[[f64; 6]; SQUARE_BATCH],
        &mut [[f64; 6]; SQUARE_BATCH],
        &mut Grads<6, 6, f64>,
    ),
) -> Report {
    let (layer, x, target): (Square, _, _) = problem::<f64, 6, 6, SQUARE_BATCH>(42);
    check_linear(&layer, &x, &target, Settings::F64, |l, x, dy, dx, g| {
        l.backward_overwrite(x, dy, dx, g);
        mutate(x, dy, dx, g);
    })
}

#[test]
fn the_unbroken_square_case_passes() {
    let report = square_check(|_, _, _, _| {});
    assert!(report.max_relative_error() < F64_PASS, "{report}");
}

#[test]
fn a_transposed_weight_gradient_is_caught() {
    let report = square_check(|_, _, _, g| {
        let dw = g.weight;
        for (i, row) in g.weight.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = dw[j][i];
            }
        }
    });
    assert!(report.weight.relative_error >= BUG, "{report}");
    assert!(report.bias.relative_error < F64_PASS && report.input.relative_error < F64_PASS, "{report}");
}

#[test]
fn a_bias_gradient_summed_over_the_wrong_axis_is_caught() {
    let report = square_check(|_, dy, _, g| {
        // db[r] = Σ_j dY[r][j]: summed over features (axis 1), not the batch.
        for (db, dy_row) in g.bias.iter_mut().zip(dy) {
            *db = dy_row.iter().sum();
        }
    });
    assert!(report.bias.relative_error >= BUG, "{report}");
    assert!(report.weight.relative_error < F64_PASS && report.input.relative_error < F64_PASS, "{report}");
}

#[test]
fn a_missing_batch_sum_is_caught() {
    let report = square_check(|_, dy, _, g| g.bias = dy[0]);
    assert!(report.bias.relative_error >= BUG, "{report}");
}

#[test]
fn a_sign_error_is_caught() {
    let report = square_check(|_, _, dx, _| {
        for v in dx.as_flattened_mut() {
            *v = -*v;
        }
    });
    assert!(report.input.relative_error >= BUG, "{report}");
    assert!(report.weight.relative_error < F64_PASS, "{report}");

    let report = square_check(|_, _, _, g| {
        for v in g.weight.as_flattened_mut() {
            *v = -*v;
        }
    });
    assert!(report.weight.relative_error >= BUG, "{report}");
}

#[test]
fn the_f32_check_still_catches_a_sign_error() {
    let (layer, x, target) = problem::<f32, 7, 5, 4>(8);
    let report = check_linear(&layer, &x, &target, Settings::F32, |l, x, dy, dx, g| {
        l.backward_overwrite(x, dy, dx, g);
        g.bias.iter_mut().for_each(|v| *v = -*v);
    });
    assert!(report.bias.relative_error >= 10.0 * F32_PASS, "{report}");
    assert!(report.weight.relative_error < F32_PASS && report.input.relative_error < F32_PASS, "{report}");
}

#[test]
fn a_nan_gradient_is_reported_not_hidden() {
    let report = square_check(|_, _, _, g| g.weight[2][3] = f64::NAN);
    assert!(report.weight.relative_error.is_nan(), "{report}");
    assert_eq!(report.weight.index, 2 * 6 + 3);
    assert!(report.max_relative_error().is_nan() || report.max_relative_error() >= BUG);
}
