// Mistake: an output buffer 4 wide for a layer with 3 outputs.
use tinylinear::Linear;

fn main() {
    let layer = Linear::<4, 3>::zeroed();
    let x = [[0.0f32; 4]; 2];
    let mut y = [[0.0f32; 4]; 2];
    layer.forward(&x, &mut y);
}
