// Mistake: the third layer of a chain does not take the second's outputs.
use tinylinear::network::{Chain, Dense, Gelu, Relu};

fn main() {
    let _net = Chain::new(
        Dense::<4, 16, Relu>::torch_init(1),
        Chain::new(Dense::<16, 8, Gelu>::torch_init(2), Dense::<16, 2>::torch_init(3)),
    );
}
