// Mistake: an int8 layer of 2 outputs chained to one of 3 inputs.
use tinylinear::quant::{QChain, QLinear};

fn chain(first: QLinear<4, 2>, second: QLinear<3, 1>) {
    let _net = QChain::new(first, second);
}

fn main() {}
