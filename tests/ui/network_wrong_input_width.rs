// Mistake: feeding 3-wide rows into a network whose first layer takes 2.
use tinylinear::network::{Chain, Dense, Network, Relu};

fn main() {
    let net: Chain<Dense<2, 16, Relu>, Dense<16, 1>> = Network::torch_init(1);
    let mut trace = <Chain<Dense<2, 16, Relu>, Dense<16, 1>> as Network<f32, 2>>::trace::<1>();
    net.forward_train(&[[0.0f32; 3]], &mut trace);
}
