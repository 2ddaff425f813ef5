// Mistake: an int8 layer whose output scale is zero, in a `static`.
use tinylinear::quant::{QLinear, QuantParams, WeightScales};

static LAYER: QLinear<3, 2> = QLinear::from_tflite(
    &[[1; 3]; 2],
    &[0, 0],
    &QuantParams {
        input_scale: 0.5,
        input_zero_point: 0,
        weight_scales: WeightScales::PerChannel([0.1, 0.2]),
        output_scale: 0.0,
        output_zero_point: 0,
        activation_min: -128,
        activation_max: 127,
    },
);

fn main() {
    println!("{LAYER:?}");
}
