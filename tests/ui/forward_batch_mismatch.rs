// Mistake: the output holds 3 rows but the input batch has 2.
use tinylinear::Linear;

fn main() {
    let layer = Linear::<4, 3>::zeroed();
    let x = [[0.0f32; 4]; 2];
    let mut y = [[0.0f32; 3]; 3];
    layer.forward(&x, &mut y);
}
