// Mistake: a bias-free layer given Grads (with bias) instead of GradsNoBias.
use tinylinear::{Grads, LinearNoBias};

fn main() {
    let layer = LinearNoBias::<4, 3>::zeroed();
    let x = [[0.0f32; 4]; 2];
    let dy = [[0.0f32; 3]; 2];
    let mut dx = [[0.0f32; 4]; 2];
    let mut grads = Grads::<4, 3>::zeroed();
    layer.backward(&x, &dy, &mut dx, &mut grads);
}
