// Mistake: feeding 5-wide rows into a layer that takes 4 inputs.
use tinylinear::Linear;

fn main() {
    let layer = Linear::<4, 3>::zeroed();
    let x = [[0.0f32; 5]; 2];
    let mut y = [[0.0f32; 3]; 2];
    layer.forward(&x, &mut y);
}
