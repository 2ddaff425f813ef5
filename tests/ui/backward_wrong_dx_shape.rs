// Mistake: dx must be as wide as the input (4), not 5.
use tinylinear::{Grads, Linear};

fn main() {
    let layer = Linear::<4, 3>::zeroed();
    let x = [[0.0f32; 4]; 2];
    let dy = [[0.0f32; 3]; 2];
    let mut dx = [[0.0f32; 5]; 2];
    let mut grads = Grads::<4, 3>::zeroed();
    layer.backward(&x, &dy, &mut dx, &mut grads);
}
