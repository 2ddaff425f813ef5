// Mistake: two int8 layers chained where the first one's output scale is not
// the second one's input scale, in a `static`: refused when it is built.
use tinylinear::qchain;
use tinylinear::quant::{QChain, QLinear, QuantParams, WeightScales};

const fn params(input_scale: f32, output_scale: f32) -> QuantParams<2> {
    QuantParams {
        input_scale,
        input_zero_point: 0,
        weight_scales: WeightScales::PerTensor(0.5),
        output_scale,
        output_zero_point: 0,
        activation_min: -128,
        activation_max: 127,
    }
}

static NET: QChain<QLinear<3, 2>, QLinear<2, 2>> = qchain![
    QLinear::from_tflite(&[[1; 3]; 2], &[0, 0], &params(0.5, 0.25)),
    QLinear::from_tflite(&[[1; 2]; 2], &[0, 0], &params(0.3, 0.25)),
];

fn main() {
    println!("{NET:?}");
}
