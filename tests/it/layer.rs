//! The layer's API around the kernels: run-time batches refused without
//! writing, const and run-time batches agreeing, PyTorch's layout, seeded
//! initialisation, SGD and zeroing gradients.

use crate::common::Data;
use tinylinear::{Grads, GradsNoBias, Linear, LinearNoBias};

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
