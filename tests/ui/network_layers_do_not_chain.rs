// Mistake: a layer taking 32 inputs after one that gives 64 outputs.
use tinylinear::mlp;
use tinylinear::network::{Dense, Relu};

fn main() {
    let _net = mlp![
        Dense::<128, 64, Relu>::torch_init(1),
        Dense::<32, 10>::torch_init(2),
    ];
}
