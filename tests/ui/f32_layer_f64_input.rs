// Mistake: f64 rows fed to a layer of f32 weights (the default element type).
use tinylinear::Linear;

fn main() {
    let layer = Linear::<4, 3>::zeroed();
    let x = [[0.0f64; 4]; 2];
    let mut y = [[0.0f32; 3]; 2];
    layer.forward(&x, &mut y);
}
