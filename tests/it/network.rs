//! Networks: activations against f64 formulas and central differences,
//! fused against unfused, whole-network forward against an f64 oracle,
//! gradient checks through the activations (and mutations they catch),
//! SGD and momentum, the ledger, and the numpy fixture of `scripts/numpy-fixture.py`.

use crate::common::{self, Data};
use tinylinear::gradcheck::{central_difference, half_squared_error, relative_error};
use tinylinear::kernel::Epilogue;
use tinylinear::mlp;
use tinylinear::network::{
    Activation, Chain, Clamp, Dense, Gelu, Identity, Network, NetworkLedger, PingPong, Relu, Relu6, Sigmoid, Tanh,
};
use tinylinear::{Element, Linear};

/// `docs/linear-layer.md`: with ε = 1e-5 in f64, `rel < 1e-7` means the gradient is right.
const F64_PASS: f64 = 1e-7;
/// `docs/linear-layer.md`: `rel ≈ 1e-2` or worse signals a bug.
const BUG: f64 = 1e-2;

// ---------------------------------------------------------------- activations

/// Each activation in f64 by its textbook formula, through std (not libm).
fn oracle(name: &str, z: f64) -> f64 {
    match name {
        "identity" => z,
        "relu" => {
            if z > 0.0 {
                z
            } else {
                0.0
            }
        }
        "relu6" => z.clamp(0.0, 6.0),
        "gelu" => 0.5 * z * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (z + 0.044715 * z.powi(3))).tanh()),
        "sigmoid" => 1.0 / (1.0 + (-z).exp()),
        "tanh" => z.tanh(),
        _ => unreachable!(),
    }
}

fn sample_points() -> Vec<f64> {
    let mut data = Data::new(11);
    let mut points: Vec<f64> = (0..200).map(|_| data.unit() * 8.0).collect();
    points.extend([-7.5, -6.1, -3.0, -1.0, -0.3, 0.2, 1.0, 2.5, 5.9, 6.2, 9.0]);
    points
}

fn check_activation<A: Activation<f64> + Activation<f32>>(name: &str, activation: A, kinks: &[f64]) {
    for z in sample_points() {
        let expected = oracle(name, z);
        let got = Epilogue::<f64>::apply(activation, z);
        assert!((got - expected).abs() <= 1e-15 * expected.abs().max(1.0), "{name}({z}) = {got}, oracle {expected}");
        let got32 = Epilogue::<f32>::apply(activation, z as f32) as f64;
        assert!((got32 - expected).abs() <= 1e-6 * expected.abs().max(1.0), "{name}_f32({z}) = {got32}, {expected}");

        // The derivative against a central difference of the f64 oracle,
        // away from the kinks, where the difference would straddle two slopes.
        if kinks.iter().all(|k| (z - k).abs() > 1e-3) {
            let numeric = central_difference(z, 1e-5, |t: f64| oracle(name, t));
            let analytic = Activation::<f64>::derivative(activation, z);
            let err = relative_error(analytic, numeric);
            assert!(err < 1e-7 || (analytic - numeric).abs() < 1e-10, "{name}'({z}): {analytic} vs {numeric}");
        }

        // NaN in, NaN out, both ways.
        assert!(Epilogue::<f64>::apply(activation, f64::NAN).is_nan(), "{name}(NaN)");
        assert!(Epilogue::<f32>::apply(activation, f32::NAN).is_nan(), "{name}(NaN) in f32");
        assert!(Activation::<f64>::derivative(activation, f64::NAN).is_nan() || name == "identity", "{name}'(NaN)");
    }
}

#[test]
fn activations_match_their_formulas_and_derivatives() {
    check_activation("identity", Identity, &[]);
    check_activation("relu", Relu, &[0.0]);
    check_activation("relu6", Relu6::default(), &[0.0, 6.0]);
    check_activation("gelu", Gelu, &[]);
    check_activation("sigmoid", Sigmoid, &[]);
    check_activation("tanh", Tanh, &[]);
}

#[test]
fn piecewise_activations_at_their_edges() {
    assert_eq!(Epilogue::<f32>::apply(Relu, -0.0), -0.0);
    assert_eq!(Activation::<f32>::derivative(Relu, 0.0), 0.0);
    assert_eq!(Epilogue::<f32>::apply(Relu, f32::INFINITY), f32::INFINITY);
    assert_eq!(Epilogue::<f32>::apply(Relu, f32::NEG_INFINITY), 0.0);
    let clamp = Clamp::<-2, 3>;
    assert_eq!([-5.0f64, -2.0, 0.5, 3.0, 4.0].map(|z| Epilogue::<f64>::apply(clamp, z)), [-2.0, -2.0, 0.5, 3.0, 3.0]);
    assert_eq!(
        [-5.0f64, -2.0, 0.5, 3.0, 4.0].map(|z| Activation::<f64>::derivative(clamp, z)),
        [0.0, 0.0, 1.0, 0.0, 0.0]
    );
    // Saturation: no NaN from exp overflow.
    assert_eq!(Epilogue::<f32>::apply(Sigmoid, -200.0), 0.0);
    assert_eq!(Epilogue::<f32>::apply(Sigmoid, 200.0), 1.0);
    assert_eq!(Activation::<f32>::derivative(Sigmoid, 200.0), 0.0);
}

// ------------------------------------------------------------ fused = unfused

/// `forward_with(f)` against `forward` then `f` on every output: bit for bit.
fn fused_equals_unfused<A: Activation<T>, T: Element, const B: usize, const DIN: usize, const DOUT: usize>(
    activation: A,
    seed: u64,
) {
    let mut data = Data::new(seed);
    let layer = Linear::<DIN, DOUT, T>::new(data.matrix(), data.array());
    let x: [[T; DIN]; B] = data.matrix();
    let mut fused = [[T::ZERO; DOUT]; B];
    layer.forward_with(&x, &mut fused, activation);
    let mut unfused = [[T::ZERO; DOUT]; B];
    layer.forward(&x, &mut unfused);
    for value in unfused.as_flattened_mut() {
        *value = activation.apply(*value);
    }
    let bits = |rows: &[[T; DOUT]; B]| rows.as_flattened().iter().map(|v| v.to_f64().to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&fused), bits(&unfused), "B{B} {DIN}->{DOUT} {activation:?}");
}

fn fused_shapes<A: Activation<f32> + Activation<f64>>(activation: A) {
    fused_equals_unfused::<A, f32, 1, 1, 1>(activation, 1);
    fused_equals_unfused::<A, f32, 3, 7, 13>(activation, 2);
    fused_equals_unfused::<A, f32, 7, 13, 3>(activation, 3);
    fused_equals_unfused::<A, f32, 13, 16, 33>(activation, 4);
    fused_equals_unfused::<A, f64, 1, 9, 17>(activation, 5);
    fused_equals_unfused::<A, f64, 5, 3, 7>(activation, 6);
}

#[test]
fn fused_activations_equal_unfused_bit_for_bit() {
    fused_shapes(Relu);
    fused_shapes(Relu6::default());
    fused_shapes(Gelu);
    fused_shapes(Sigmoid);
    fused_shapes(Tanh);
}

// ----------------------------------------------------- whole-network forward

type Odd<T> = Chain<Dense<3, 7, Gelu, T>, Chain<Dense<7, 13, Tanh, T>, Dense<13, 5, Sigmoid, T>>>;

fn rows_f64<const C: usize>(rows: &[[f64; C]]) -> Vec<f64> {
    rows.iter().flatten().copied().collect()
}

/// One layer in f64 from the test oracle, then the activation's formula.
fn oracle_layer<const DIN: usize, const DOUT: usize, A>(
    layer: &Dense<DIN, DOUT, A, f64>,
    x: &[f64],
    batch: usize,
    name: &str,
) -> Vec<f64> {
    let w = rows_f64(&layer.linear.weight);
    let z = common::forward(x, &w, Some(&layer.linear.bias), batch, DIN, DOUT);
    z.value.iter().map(|&v| oracle(name, v)).collect()
}

#[test]
fn network_forward_matches_an_f64_oracle() {
    const B: usize = 7;
    let net: Odd<f64> = Network::torch_init(21);
    let mut data = Data::new(22);
    let x: [[f64; 3]; B] = data.matrix();

    let a1 = oracle_layer(&net.first, &rows_f64(&x), B, "gelu");
    let a2 = oracle_layer(&net.rest.first, &a1, B, "tanh");
    let expected = oracle_layer(&net.rest.rest, &a2, B, "sigmoid");

    let mut y = [[0.0; 5]; B];
    let mut scratch = PingPong::<f64, { Odd::<f64>::SCRATCH_WIDTH }, B>::zeroed();
    net.forward(&x, &mut y, &mut scratch);
    for (got, want) in y.iter().flatten().zip(&expected) {
        assert!((got - want).abs() < 1e-14, "{got} vs {want}");
    }

    // The training forward keeps the same output, bit for bit (fused = unfused).
    let mut trace = Odd::<f64>::trace::<B>();
    net.forward_train(&x, &mut trace);
    assert_eq!(Odd::<f64>::output(&trace), &y);
    // ... and the pre-activations, which it feeds the activation.
    let z1 = common::forward(&rows_f64(&x), &rows_f64(&net.first.linear.weight), Some(&net.first.linear.bias), B, 3, 7);
    for (got, want) in trace.first.pre.iter().flatten().zip(&z1.value) {
        assert!((got - want).abs() < 1e-14);
    }
}

#[test]
fn ping_pong_wider_than_needed_and_a_single_layer() {
    let net: Odd<f32> = Network::torch_init(5);
    let x = [[0.25f32, -0.5, 1.0]; 2];
    let (mut exact, mut wide) = ([[0.0f32; 5]; 2], [[0.0f32; 5]; 2]);
    net.forward(&x, &mut exact, &mut PingPong::<f32, 13, 2>::zeroed());
    net.forward(&x, &mut wide, &mut PingPong::<f32, 40, 2>::zeroed());
    assert_eq!(exact, wide);

    let single = Dense::<3, 2, Relu, f64>::torch_init(9);
    assert_eq!(<Dense<3, 2, Relu, f64> as Network<f64, 3>>::SCRATCH_WIDTH, 0);
    let x = [[0.25, -0.5, 1.0], [-2.0, 0.75, 0.5]];
    let mut y = [[0.0; 2]; 2];
    Network::forward(&single, &x, &mut y, &mut PingPong::<f64, 0, 2>::zeroed());
    let expected = oracle_layer(&single, &rows_f64(&x), 2, "relu");
    for (got, want) in y.iter().flatten().zip(&expected) {
        assert!((got - want).abs() < 1e-14, "{got} vs {want}");
    }
    let mut direct = [[0.0; 2]; 2];
    single.forward(&x, &mut direct);
    assert_eq!(y, direct);
}

// ------------------------------------------------------------- gradient check

/// The output of `net` at `x` (through the training forward).
fn output<N: Network<f64, DIN, Output = [f64; DOUT]>, const DIN: usize, const DOUT: usize, const B: usize>(
    net: &N,
    x: &[[f64; DIN]; B],
) -> [[f64; DOUT]; B] {
    let mut trace = N::trace::<B>();
    net.forward_train(x, &mut trace);
    *N::output(&trace)
}

/// `L(Y⁺) − L(Y⁻)` for `L = ½ Σ (Y − target)²`, summed term by term,
/// `½ Σ (y⁺ − y⁻)(y⁺ + y⁻ − 2t)`, as `tinylinear::gradcheck` does, so that
/// two nearly equal losses are never subtracted (that alone costs ~1e-6 on
/// gradients near zero).
fn loss_change<const DOUT: usize, const B: usize>(
    y_up: &[[f64; DOUT]; B],
    y_down: &[[f64; DOUT]; B],
    target: &[[f64; DOUT]; B],
) -> f64 {
    let mut change = 0.0;
    for ((u, d), t) in y_up.as_flattened().iter().zip(y_down.as_flattened()).zip(target.as_flattened()) {
        change += 0.5 * (u - d) * (u + d - 2.0 * t);
    }
    change
}

/// The f64 step of `docs/linear-layer.md`.
const EPSILON: f64 = 1e-5;

/// The central difference of `L` from the outputs `y(θ ± ε)`.
fn estimate<const DOUT: usize, const B: usize>(outputs: [[[f64; DOUT]; B]; 2], target: &[[f64; DOUT]; B]) -> f64 {
    let [up, down] = outputs;
    loss_change(&up, &down, target) / (2.0 * EPSILON)
}

/// The noise floor of an f64 central difference at ε = 1e-5, in absolute
/// terms: the outputs carry rounding errors of ~1e-16 (a few ulps of libm's
/// `tanh` and `exp` included), and dividing their difference by 2ε lifts
/// that to ~1e-11. Measured: the worst absolute disagreement on these
/// networks is 2.6e-11; a wrong derivative is off by ~1e-2 or more.
const ABS_FLOOR: f64 = 5e-11;

/// Central differences (ε = 1e-5) of every parameter and every input of
/// `net` against its backward pass.
fn check_network<N, const DIN: usize, const DOUT: usize, const B: usize>(
    net: &N,
    x: &[[f64; DIN]; B],
    target: &[[f64; DOUT]; B],
) -> Check
where
    N: Network<f64, DIN, Output = [f64; DOUT]> + Clone,
{
    let mut trace = N::trace::<B>();
    net.forward_train(x, &mut trace);
    let mut dy = *N::output(&trace);
    for (d, t) in dy.as_flattened_mut().iter_mut().zip(target.as_flattened()) {
        *d -= t;
    }
    let mut grads = N::grads();
    let mut dx = [[0.0; DIN]; B];
    net.backward(x, &mut trace, &dy, &mut grads, Some(&mut dx));

    let mut check = Check::default();
    let steps = [EPSILON, -EPSILON];
    let mut probe = net.clone();
    let mut at = 0;
    while let Some(&mut theta) = probe.param_mut(at) {
        let outputs = steps.map(|step| {
            *probe.param_mut(at).unwrap() = theta + step;
            output(&probe, x)
        });
        *probe.param_mut(at).unwrap() = theta;
        check.record(N::grad(&grads, at).unwrap(), estimate(outputs, target));
        at += 1;
    }
    let mut probe_x = *x;
    for at in 0..DIN * B {
        let theta = x.as_flattened()[at];
        let outputs = steps.map(|step| {
            probe_x.as_flattened_mut()[at] = theta + step;
            output(net, &probe_x)
        });
        probe_x.as_flattened_mut()[at] = theta;
        check.record(dx.as_flattened()[at], estimate(outputs, target));
    }
    check
}

/// The outcome of [`check_network`].
#[derive(Debug, Default)]
struct Check {
    /// Worst relative error, over all entries.
    worst: f64,
    /// Worst relative error over the entries whose absolute disagreement
    /// is above [`ABS_FLOOR`] (NaN counts as above).
    worst_above_floor: f64,
    /// Worst absolute disagreement.
    worst_abs: f64,
    /// Entries with rel ≥ 1e-7 but an absolute disagreement under the floor.
    at_floor: usize,
    /// Entries checked.
    checked: usize,
}

impl Check {
    fn record(&mut self, analytic: f64, numeric: f64) {
        let worse = |worst: f64, err: f64| if err.is_nan() || worst.is_nan() { f64::NAN } else { worst.max(err) };
        let (rel, abs) = (relative_error(analytic, numeric), (analytic - numeric).abs());
        self.worst = worse(self.worst, rel);
        self.worst_abs = worse(self.worst_abs, abs);
        if abs.is_nan() || abs >= ABS_FLOOR {
            self.worst_above_floor = worse(self.worst_above_floor, rel);
        } else if rel >= F64_PASS {
            self.at_floor += 1;
        }
        self.checked += 1;
    }

    /// The criterion of `docs/linear-layer.md`, with gradients near zero judged by the floor;
    /// at most `1/20` of the entries may lean on it.
    fn passes(&self) -> bool {
        self.worst_above_floor < F64_PASS && self.at_floor * 20 <= self.checked
    }

    /// A bug: some entry is off by the `1e-2` that signals a bug and well above the floor.
    fn fails(&self) -> bool {
        self.worst_above_floor.is_nan() || self.worst_above_floor >= BUG
    }
}

fn problem<const DIN: usize, const DOUT: usize, const B: usize>(seed: u64) -> ([[f64; DIN]; B], [[f64; DOUT]; B]) {
    let mut data = Data::new(seed);
    (data.matrix(), data.matrix())
}

#[test]
fn gradcheck_f64_through_every_activation() {
    let (x, t) = problem::<3, 5, 4>(31);
    let net: Odd<f64> = Network::torch_init(30);
    let check = check_network(&net, &x, &t);
    assert_eq!(check.checked, Odd::<f64>::PARAMS as usize + 3 * 4);
    assert!(check.passes(), "gelu/tanh/sigmoid: {check:?}");
    println!("gelu/tanh/sigmoid: {check:?}");

    // Piecewise-linear activations; weights scaled so that the clamp clamps.
    type Piecewise = Chain<Dense<5, 9, Relu, f64>, Chain<Dense<9, 6, Clamp<-1, 1>, f64>, Dense<6, 1, Identity, f64>>>;
    let mut net: Piecewise = Network::torch_init(40);
    for w in net.rest.first.linear.weight.as_flattened_mut() {
        *w *= 4.0;
    }
    let (x, t) = problem::<5, 1, 7>(41);
    let mut trace = Piecewise::trace::<7>();
    net.forward_train(&x, &mut trace);
    let z2 = trace.rest.first.pre.as_flattened();
    assert!(z2.iter().any(|z| z.abs() > 1.0) && z2.iter().any(|z| z.abs() < 1.0), "the clamp is exercised");
    let z1 = trace.first.pre.as_flattened();
    assert!(
        z1.iter().any(|&z| z < 0.0) && z1.iter().all(|z| z.abs() > 4.0 * EPSILON),
        "ReLU is exercised, off its kink"
    );
    let check = check_network(&net, &x, &t);
    assert!(check.passes() && check.worst < F64_PASS, "relu/clamp: {check:?}");
    println!("relu/clamp/identity: {check:?}");

    // One layer, batch 1, as small as it gets.
    let (x, t) = problem::<1, 1, 1>(51);
    let check = check_network(&Dense::<1, 1, Gelu, f64>::torch_init(50), &x, &t);
    assert!(check.passes(), "1 -> 1: {check:?}");
}

/// GELU with the derivative of its erf-free cousin x·σ(1.702x): close, not equal.
#[derive(Clone, Copy, Debug, Default)]
struct WrongGelu;
impl Epilogue<f64> for WrongGelu {
    fn apply(self, value: f64) -> f64 {
        Gelu.apply(value)
    }
}
impl Activation<f64> for WrongGelu {
    const NAME: &'static str = "wrong";
    fn derivative(self, pre: f64) -> f64 {
        let s = 1.0 / (1.0 + (-1.702 * pre).exp());
        s + 1.702 * pre * s * (1.0 - s)
    }
}

/// ReLU whose derivative forgets the kink: 1 everywhere.
#[derive(Clone, Copy, Debug, Default)]
struct LeakyBackward;
impl Epilogue<f64> for LeakyBackward {
    fn apply(self, value: f64) -> f64 {
        Relu.apply(value)
    }
}
impl Activation<f64> for LeakyBackward {
    const NAME: &'static str = "wrong";
    fn derivative(self, _pre: f64) -> f64 {
        1.0
    }
}

#[test]
fn gradcheck_catches_wrong_derivatives() {
    let (x, t) = problem::<3, 2, 5>(61);
    let net: Chain<Dense<3, 6, WrongGelu, f64>, Dense<6, 2, Identity, f64>> = Network::torch_init(60);
    let check = check_network(&net, &x, &t);
    assert!(check.fails(), "a wrong GELU derivative passed: {check:?}");
    println!("wrong GELU derivative: {check:?}");

    let net: Chain<Dense<3, 6, LeakyBackward, f64>, Dense<6, 2, Identity, f64>> = Network::torch_init(60);
    let check = check_network(&net, &x, &t);
    assert!(check.fails(), "ReLU without its mask passed: {check:?}");
    println!("ReLU without its mask: {check:?}");
}

// ---------------------------------------------------------------- optimisers

type Small = Chain<Dense<2, 3, Tanh, f64>, Dense<3, 1, Identity, f64>>;

fn small_grads(net: &Small) -> <Small as Network<f64, 2>>::Grads {
    let x = [[0.5, -1.0], [1.0, 0.25]];
    let mut trace = Small::trace::<2>();
    net.forward_train(&x, &mut trace);
    let mut grads = Small::grads();
    net.backward(&x, &mut trace, &[[1.0], [-0.5]], &mut grads, None);
    grads
}

/// `got == want`, to the bit where f64 arithmetic rounds every operation to
/// f64; on x87 (i586, no SSE2), which keeps intermediates in 80 bits, where
/// the compiler spills them decides the last bits: within a few ulps of
/// `scale`, the magnitude of the terms summed, there.
fn assert_same(got: f64, want: f64, scale: f64, what: &str) {
    let x87 = cfg!(all(target_arch = "x86", not(target_feature = "sse2")));
    let slack = if x87 { 8.0 * f64::EPSILON * scale } else { 0.0 };
    assert!((got - want).abs() <= slack, "{what}: {got:e}, expected {want:e}");
}

#[test]
fn sgd_and_momentum_update_every_parameter() {
    let net: Small = Network::torch_init(70);
    let grads = small_grads(&net);
    let count = Small::PARAMS as usize;

    let mut plain = net.clone();
    plain.sgd_step(&grads, 0.1);
    let mut momentum = net.clone();
    let mut velocity = Small::grads();
    momentum.momentum_step(&grads, &mut velocity, 0.1, 0.9);
    momentum.momentum_step(&grads, &mut velocity, 0.1, 0.9);
    for at in 0..count {
        let (theta, g) = (net.clone().param_mut(at).copied().unwrap(), Small::grad(&grads, at).unwrap());
        let scale = theta.abs() + 2.0 * g.abs();
        assert_same(*plain.param_mut(at).unwrap(), theta - 0.1 * g, scale, &format!("sgd at {at}"));
        // v1 = g, v2 = 0.9·g + g; θ2 = θ − 0.1·v1 − 0.1·v2.
        let (v1, v2) = (g, 0.9 * g + g);
        assert_same(*momentum.param_mut(at).unwrap(), theta - 0.1 * v1 - 0.1 * v2, scale, &format!("momentum at {at}"));
        assert_same(Small::grad(&velocity, at).unwrap(), v2, scale, &format!("velocity at {at}"));
    }
    assert!(plain.clone().param_mut(count).is_none() && Small::grad(&grads, count).is_none());
    assert_ne!(plain, net);
}

#[test]
fn backward_overwrites_gradients_and_is_repeatable() {
    let net: Small = Network::torch_init(80);
    let fresh = small_grads(&net);
    assert_eq!(fresh, small_grads(&net));
    // Into gradients that hold another batch's: an accumulating backward
    // would return their sum.
    let x = [[0.5, -1.0], [1.0, 0.25]];
    let mut trace = Small::trace::<2>();
    let mut grads = Small::grads();
    net.forward_train(&[[2.0, 1.0], [-1.0, 3.0]], &mut trace);
    net.backward(&[[2.0, 1.0], [-1.0, 3.0]], &mut trace, &[[4.0], [3.0]], &mut grads, None);
    assert_ne!(grads, fresh);
    net.forward_train(&x, &mut trace);
    net.backward(&x, &mut trace, &[[1.0], [-0.5]], &mut grads, None);
    assert_eq!(grads, fresh);
}

#[test]
fn a_small_regression_learns() {
    // y = sin(x) on [-3, 3], 1 -> 16 -> 1, momentum SGD.
    type Net = Chain<Dense<1, 16, Tanh>, Dense<16, 1>>;
    let mut net: Net = Network::torch_init(90);
    let x: [[f32; 1]; 16] = core::array::from_fn(|i| [i as f32 / 2.5 - 3.0]);
    let target = x.map(|[v]| [v.sin()]);
    let (mut grads, mut velocity) = (Net::grads(), Net::grads());
    let mut trace = Net::trace::<16>();
    let mut losses = Vec::new();
    for _ in 0..400 {
        net.forward_train(&x, &mut trace);
        losses.push(half_squared_error(Net::output(&trace), &target) / 16.0);
        let mut dy = *Net::output(&trace);
        for (d, t) in dy.iter_mut().zip(&target) {
            d[0] = (d[0] - t[0]) / 16.0;
        }
        net.backward(&x, &mut trace, &dy, &mut grads, None);
        net.momentum_step(&grads, &mut velocity, 0.1, 0.9);
    }
    let (first, last) = (losses[0], *losses.last().unwrap());
    assert!(last < first / 20.0 && last < 5e-3, "loss {first} -> {last}");
}

// -------------------------------------------------------------------- ledger

#[test]
fn the_ledger_sums_the_layers() {
    type Net = Chain<Dense<128, 64, Relu>, Chain<Dense<64, 96, Gelu>, Dense<96, 10>>>;
    const L: NetworkLedger = <Net as Network<f32, 128>>::LEDGER.with_batch(32);
    let layers = [(128, 64), (64, 96), (96, 10)];
    let params: u64 = layers.iter().map(|&(i, o)| (i * o + o) as u64).sum();
    let macs: u64 = layers.iter().map(|&(i, o)| (i * o) as u64).sum();
    assert_eq!(L.layers().len(), 3);
    assert_eq!(L.params(), params);
    assert_eq!(L.params(), Linear::<128, 64>::PARAMS + Linear::<64, 96>::PARAMS + Linear::<96, 10>::PARAMS);
    assert_eq!(<Net as Network<f32, 128>>::PARAM_BYTES, 4 * params);
    assert_eq!(L.forward_flops(), 2 * 32 * macs);
    assert_eq!(L.backward_flops(), 4 * 32 * macs);
    assert_eq!(L.training_flops(), 6 * 32 * macs);
    assert_eq!(
        L.forward_flops(),
        Linear::<128, 64>::forward_flops(32)
            + Linear::<64, 96>::forward_flops(32)
            + Linear::<96, 10>::forward_flops(32)
    );
    assert_eq!(<Net as Network<f32, 128>>::SCRATCH_WIDTH, 96);
    // The trait's consts are summed layer by layer; the ledger agrees.
    assert_eq!(<Net as Network<f32, 128>>::SCRATCH_WIDTH, L.scratch_width());
    assert_eq!(<Net as Network<f32, 128>>::PARAMS, L.params());
    assert_eq!(<Net as Network<f32, 128>>::PARAM_BYTES, L.param_bytes());
    assert_eq!(L.scratch_bytes(), 2 * 32 * 96 * 4);
    assert_eq!(L.inference_activation_bytes(), 4 * 32 * (128 + 10) + 2 * 32 * 96 * 4);
    assert_eq!(L.trace_bytes(), 2 * 4 * 32 * (64 + 96 + 10));
    assert_eq!(L.training_activation_bytes(), 4 * 32 * (128 + 10) + L.trace_bytes());
    // The trace and the scratch are what the ledger says they are.
    assert_eq!(core::mem::size_of::<<Net as Network<f32, 128>>::Trace<32>>() as u64, L.trace_bytes());
    assert_eq!(core::mem::size_of::<PingPong<f32, { Net::SCRATCH_WIDTH }, 32>>() as u64, L.scratch_bytes());

    let table = L.to_string();
    assert!(table.starts_with("Network of 3 layers, f32, 128 -> 10 at batch B = 32\n"), "{table}");
    assert!(table.contains("\n2      64 -> 96      gelu"), "{table}");
    assert!(table.contains("parameters                     15,466  (61,864 bytes)\n"), "{table}");
    println!("{table}");
}

#[test]
fn a_network_deeper_than_the_ledger_still_runs() {
    // 18 layers: past the ledger's 16, so its LEDGER would not compile,
    // but its shapes, consts and passes do not depend on it.
    macro_rules! deep {
        ($($seed:literal)*) => { mlp![$(Dense::<2, 2, Tanh, f64>::torch_init($seed)),*] };
    }
    let net = deep!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18);
    fn consts<N: Network<f64, 2>>(_: &N) -> (u64, usize) {
        (N::PARAMS, N::SCRATCH_WIDTH)
    }
    assert_eq!(consts(&net), (18 * 6, 2));
    let x = [[0.5, -0.25]; 3];
    let mut y = [[0.0; 2]; 3];
    net.forward(&x, &mut y, &mut PingPong::<f64, 2, 3>::zeroed());
    // The training path (unfused, keeping Z and A) gives the same bits.
    let mut trace = deep_trace(&net);
    net.forward_train(&x, &mut trace.0);
    assert_eq!(&y, trace.1(&trace.0));
    assert!(y.as_flattened().iter().all(|v| v.is_finite() && *v != 0.0));
}

/// A zeroed trace of `net` at batch 3, with the function that reads its output.
#[allow(clippy::type_complexity)]
fn deep_trace<N: Network<f64, 2, Output = [f64; 2]>>(_: &N) -> (N::Trace<3>, fn(&N::Trace<3>) -> &[[f64; 2]; 3]) {
    (N::trace::<3>(), N::output::<3>)
}

// ------------------------------------------------------------- numpy fixture

/// The arrays of `tests/fixtures/note_mlp.txt`, by name.
fn fixture() -> std::collections::HashMap<String, (usize, usize, Vec<f64>)> {
    let text = include_str!("../fixtures/note_mlp.txt");
    let mut arrays = std::collections::HashMap::new();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    while let Some(header) = lines.next() {
        let mut parts = header.split_whitespace();
        let name = parts.next().unwrap().to_string();
        let rows: usize = parts.next().unwrap().parse().unwrap();
        let cols: usize = parts.next().unwrap().parse().unwrap();
        let values: Vec<f64> = (0..rows)
            .flat_map(|_| lines.next().unwrap().split_whitespace().map(|v| v.parse::<f64>().unwrap()))
            .collect();
        assert_eq!(values.len(), rows * cols, "{name}");
        arrays.insert(name, (rows, cols, values));
    }
    arrays
}

fn matrix<const R: usize, const C: usize>(
    arrays: &std::collections::HashMap<String, (usize, usize, Vec<f64>)>,
    name: &str,
) -> [[f64; C]; R] {
    let (rows, cols, values) = &arrays[name];
    assert_eq!((*rows, *cols), (R, C), "{name}");
    core::array::from_fn(|r| core::array::from_fn(|c| values[r * C + c]))
}

fn assert_agrees(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-13 * w.abs().max(1.0), "{what}[{i}]: crate {g:e}, numpy {w:e}");
    }
}

#[test]
fn the_models_numpy_functions_agree_with_the_crate() {
    let a = fixture();
    type Net = Chain<Dense<7, 13, Relu, f64>, Dense<13, 3, Identity, f64>>;
    let net: Net = mlp![
        Dense::new(Linear::new(matrix::<7, 13>(&a, "W1"), matrix::<1, 13>(&a, "b1")[0]), Relu),
        Dense::new(Linear::new(matrix::<13, 3>(&a, "W2"), matrix::<1, 3>(&a, "b2")[0]), Identity),
    ];
    let x = matrix::<5, 7>(&a, "X");
    let t = matrix::<5, 3>(&a, "T");

    let mut trace = Net::trace::<5>();
    net.forward_train(&x, &mut trace);
    assert_agrees("Z1", trace.first.pre.as_flattened(), &a["Z1"].2);
    assert_agrees("Y", Net::output(&trace).as_flattened(), &a["Y"].2);
    assert_agrees("loss", &[half_squared_error(Net::output(&trace), &t)], &a["loss"].2);

    let mut dy = *Net::output(&trace);
    for (d, t) in dy.as_flattened_mut().iter_mut().zip(t.as_flattened()) {
        *d -= t;
    }
    let mut grads = Net::grads();
    let mut dx = [[0.0; 7]; 5];
    net.backward(&x, &mut trace, &dy, &mut grads, Some(&mut dx));
    assert_agrees("dW1", grads.first.weight.as_flattened(), &a["dW1"].2);
    assert_agrees("db1", &grads.first.bias, &a["db1"].2);
    assert_agrees("dW2", grads.rest.weight.as_flattened(), &a["dW2"].2);
    assert_agrees("db2", &grads.rest.bias, &a["db2"].2);
    assert_agrees("dX", dx.as_flattened(), &a["dX"].2);
}

#[test]
fn a_one_layer_ledger_and_a_wide_shape_print() {
    let single = <Dense<3, 2, Relu> as Network<f32, 3>>::LEDGER.with_batch(5);
    assert_eq!(single.scratch_width(), 0);
    assert_eq!(single.scratch_bytes(), 0);
    assert_eq!(single.params(), 8);
    assert!(single.to_string().starts_with("Network of 1 layer, f32, 3 -> 2 at batch B = 5\n"));
    // A 10-digit width still fits the shape column.
    let row = tinylinear::network::LayerRow::new(u32::MAX as usize, 3, "relu");
    let wide = NetworkLedger::single(row, 4, "f32").with_batch(0);
    assert!(wide.to_string().contains("\n1      4294967295 -> 3 relu"), "{wide}");
}

#[test]
fn nan_and_infinity_propagate_through_a_network() {
    type Net = Chain<Dense<2, 4, Relu>, Dense<4, 1, Identity>>;
    let net: Net = Network::torch_init(3);
    let mut scratch = PingPong::<f32, 4, 2>::zeroed();
    let mut y = [[0.0f32; 1]; 2];
    net.forward(&[[f32::NAN, 0.0], [0.5, 0.25]], &mut y, &mut scratch);
    assert!(y[0][0].is_nan(), "ReLU must not turn NaN into 0");
    assert!(y[1][0].is_finite());

    // NaN in dY reaches every gradient it touches, through the mask.
    let x = [[0.5f32, -0.25]; 2];
    let mut trace = Net::trace::<2>();
    net.forward_train(&x, &mut trace);
    let mut grads = Net::grads();
    net.backward(&x, &mut trace, &[[f32::NAN], [1.0]], &mut grads, None);
    assert!(grads.rest.bias[0].is_nan());
}
