//! Layers bigger than any stack, built on the heap without touching it.
//!
//! Each construction runs on a thread with a 2 MiB stack: a single stack
//! copy of any of these values (4 MiB to 180 MB) would overflow it and
//! abort the test binary.

use std::thread;
use tinylinear::{Grads, GradsNoBias, Linear, LinearNoBias};

const SMALL_STACK: usize = 2 * 1024 * 1024;

fn on_small_stack(work: impl FnOnce() + Send + 'static) {
    thread::Builder::new().stack_size(SMALL_STACK).spawn(work).unwrap().join().unwrap();
}

#[test]
#[cfg_attr(miri, ignore = "hundreds of MB; Miri runs the small case")]
fn a_180_mb_layer_and_its_gradients_never_touch_the_stack() {
    on_small_stack(|| {
        type Mlp = Linear<4096, 11008>;
        assert_eq!(size_of::<Mlp>() as u64, Mlp::PARAM_BYTES); // 180,399,104 bytes
        let layer = Mlp::boxed_zeroed();
        assert!(layer.weight.iter().all(|row| row.iter().all(|&w| w == 0.0)));
        assert!(layer.bias.iter().all(|&b| b == 0.0));
        let grads = Grads::<4096, 11008>::boxed_zeroed();
        assert_eq!(grads.weight[4095][11007], 0.0);
        let no_bias = LinearNoBias::<4096, 11008>::boxed_zeroed();
        assert_eq!(no_bias.weight[0][0], 0.0);
        let no_bias_grads = GradsNoBias::<4096, 11008>::boxed_zeroed();
        assert_eq!(no_bias_grads.weight[17][17], 0.0);
    });
}

#[test]
#[cfg_attr(miri, ignore = "hundreds of MB; Miri runs the small case")]
fn an_initialised_big_layer_runs_forward_and_backward_on_a_small_stack() {
    on_small_stack(|| {
        // 16 MiB of f32 weights, initialised in place, then used.
        let layer = Linear::<2048, 2048>::boxed_torch_init(3);
        let bound = 1.0 / (2048f32).sqrt();
        assert!(layer.weight.iter().flatten().all(|w| w.abs() <= bound));
        assert!(layer.weight.iter().flatten().any(|&w| w != 0.0));
        assert_eq!(*layer, *Linear::<2048, 2048>::boxed_torch_init(3));

        let x = [[1.0f32; 2048]; 2];
        let mut y = [[0.0f32; 2048]; 2];
        layer.forward(&x, &mut y);
        let column_sum: f32 = layer.weight.iter().map(|row| row[5]).sum::<f32>() + layer.bias[5];
        assert!((y[1][5] - column_sum).abs() <= 1e-3);

        let mut grads = Grads::<2048, 2048>::boxed_zeroed();
        let mut dx = [[0.0f32; 2048]; 2];
        layer.backward(&x, &y, &mut dx, &mut grads);
        assert_eq!(grads.bias[5], 2.0 * y[0][5]);

        let no_bias = LinearNoBias::<2048, 2048>::boxed_torch_init(3);
        assert_eq!(no_bias.weight[100], layer.weight[100]);
    });
}

#[test]
fn boxed_layers_are_zero_and_usable() {
    // Small enough for Miri, which checks the one `unsafe` block behind these.
    let mut layer = Linear::<3, 5, f64>::boxed_zeroed();
    assert_eq!(*layer, Linear::zeroed());
    layer.fill_torch_init(4);
    assert_eq!(*layer, Linear::torch_init(4));
    assert_eq!(*Linear::<3, 5, f64>::boxed_torch_init(4), *layer);
    assert_eq!(*Grads::<3, 5, f32>::boxed_zeroed(), Grads::zeroed());
    assert_eq!(*LinearNoBias::<3, 5>::boxed_torch_init(4), LinearNoBias::torch_init(4));
    assert_eq!(*GradsNoBias::<3, 5, f64>::boxed_zeroed(), GradsNoBias::zeroed());

    let mut y = [[0.0; 5]; 2];
    layer.forward(&[[1.0, 2.0, 3.0]; 2], &mut y);
    assert!(y[0] == y[1] && y[0].iter().any(|&v| v != 0.0));
}
