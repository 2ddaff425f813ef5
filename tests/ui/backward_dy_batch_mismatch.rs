// Mistake: dy has 3 rows while x (and dx) have 2.
use tinylinear::{Grads, Linear};

fn main() {
    let layer = Linear::<4, 3>::zeroed();
    let x = [[0.0f32; 4]; 2];
    let dy = [[0.0f32; 3]; 3];
    let mut dx = [[0.0f32; 4]; 2];
    let mut grads = Grads::<4, 3>::zeroed();
    layer.backward(&x, &dy, &mut dx, &mut grads);
}
