// Mistake: an SGD step with gradients of another layer's shape.
use tinylinear::{Grads, Linear};

fn main() {
    let mut layer = Linear::<4, 3>::zeroed();
    let grads = Grads::<4, 2>::zeroed();
    layer.sgd_step(&grads, 0.01);
}
