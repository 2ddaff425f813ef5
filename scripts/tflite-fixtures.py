#!/usr/bin/env python3
"""Fixtures for the int8 layer's bit-exactness tests, made by TensorFlow's own
tools: Keras models, converted to full-integer .tflite files by
TFLiteConverter, run by LiteRT's interpreter on its fixed-point reference
kernels.

Two steps, each in a virtual environment of its own (run by hand, not in CI;
scripts/tflite-fixtures runs both):

    python tflite-fixtures.py convert DIR   # with tensorflow-cpu
    python tflite-fixtures.py run DIR       # with ai-edge-litert==1.2.0

`convert` writes, per model NAME:
    NAME.tflite            the converted model (int8 input and output)
    NAME.input.bin         int8 test inputs, row after row
    NAME.float.bin         the Keras weights, f32 little-endian: per Dense
                           layer its kernel (d_in x d_out, row-major), then
                           its bias (d_out values, none without a bias)
    NAME.calibration.bin   the f32 rows the converter calibrated on
`run` writes NAME.output.bin: the int8 outputs of the reference kernels.

`convert` also writes three models the crate must refuse, naming why:
refused_float.tflite (no quantization), refused_hybrid.tflite (dynamic-range
quantization: float input, int8 weights) and refused_softmax.tflite (an int8
FULLY_CONNECTED followed by SOFTMAX).

ai-edge-litert 1.2.0 is among the last interpreters whose reference int8
FULLY_CONNECTED requantizes in fixed point, as TFLite Micro does; later ones
requantize in double-precision float, and the default XNNPACK delegate in
float too, so `run` asks for BUILTIN_REF and checks the version.
"""
import sys
from pathlib import Path

import numpy as np

TEST_ROWS = 256
CALIBRATION_ROWS = 200


def models():
    """(name, layer widths, activations, per-channel?, bias?, calibration
    range of the input, edit) for every fixture model. `edit` moves an
    output's quantization after conversion so that a fused activation's
    bounds fall strictly inside int8 (a converter-made ReLU lands on -128
    and ReLU6 on 127, which would leave the clamp untested)."""
    return [
        ("fc_13x7_channel", [13, 7], [None], True, True, (-1.0, 2.0), None),
        ("fc_33x5_tensor", [33, 5], [None], False, True, (0.0, 4.0), None),
        ("fc_1x1_tensor", [1, 1], [None], False, True, (-3.0, 0.0), None),
        ("fc_1x3_channel", [1, 3], [None], True, True, (-1.0, 1.0), None),
        ("fc_127x3_channel_relu", [127, 3], ["relu"], True, True, (-1.0, 1.0), None),
        ("fc_12x6_channel_nobias", [12, 6], [None], True, False, (-2.0, 2.0), None),
        ("fc_20x9_tensor_tiny_inputs", [20, 9], [None], False, True, (-0.05, 0.05), None),
        ("fc_20x9_channel_relu6_inside", [20, 9], ["relu6"], True, True, (-2.0, 2.0), "relu6_inside"),
        ("fc_20x9_tensor_relu_inside", [20, 9], ["relu"], False, True, (-2.0, 2.0), "relu_inside"),
        ("mlp_16_24_10_3_channel", [16, 24, 10, 3], ["relu", "relu6", None], True, True, (-1.0, 1.0), None),
        ("mlp_16_24_10_3_tensor", [16, 24, 10, 3], ["relu", "relu6", None], False, True, (-1.0, 1.0), None),
        ("mlp_64_33_1_channel", [64, 33, 1], ["relu", None], True, True, (0.0, 1.0), None),
    ]


def convert(directory):
    import tensorflow as tf
    from tensorflow.lite.tools import flatbuffer_utils

    rng = np.random.default_rng(20261207)
    for name, widths, activations, per_channel, bias, (low, high), edit in models():
        tf.keras.utils.set_random_seed(len(name))
        inputs = tf.keras.Input(shape=(widths[0],))
        x = inputs
        for width, activation in zip(widths[1:], activations):
            x = tf.keras.layers.Dense(width, activation=activation, use_bias=bias)(x)
        model = tf.keras.Model(inputs, x)
        # Keras starts biases at zero, and the converter drops an all-zero
        # bias from the op: give them values, as training would.
        for layer in model.layers[1:]:
            if bias:
                kernel, _ = layer.get_weights()
                layer.set_weights([kernel, rng.normal(0.0, 0.3, size=layer.units).astype(np.float32)])
        calibration = rng.uniform(low, high, size=(CALIBRATION_ROWS, widths[0])).astype(np.float32)

        def representative():
            for row in calibration:
                yield [row[None, :]]

        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
        if not per_channel:
            converter._experimental_disable_per_channel_quantization_for_dense_layers = True
        flat = converter.convert()
        if edit:
            flat = edit_output(flatbuffer_utils, flat, edit)

        out = Path(directory)
        (out / f"{name}.tflite").write_bytes(flat)
        test = rng.integers(-128, 128, size=(TEST_ROWS, widths[0]), dtype=np.int8)
        # Rows at the ends of int8, so that products and sums reach their extremes.
        test[0, :] = -128
        test[1, :] = 127
        test.tofile(out / f"{name}.input.bin")
        weights = []
        for layer in model.layers[1:]:
            weights.extend(w.astype("<f4").ravel() for w in layer.get_weights())
        np.concatenate(weights).tofile(out / f"{name}.float.bin")
        calibration.astype("<f4").tofile(out / f"{name}.calibration.bin")
        print(f"converted {name}")
    convert_refused(directory)


def convert_refused(directory):
    import tensorflow as tf

    rng = np.random.default_rng(7)

    # 32 x 64: dynamic-range quantization leaves weight tensors of fewer
    # than 1024 elements in float, which would make the "hybrid" model float.
    def dense(activation=None):
        tf.keras.utils.set_random_seed(7)
        inputs = tf.keras.Input(shape=(32,))
        return tf.keras.Model(inputs, tf.keras.layers.Dense(64, activation=activation)(inputs))

    def representative():
        for _ in range(50):
            yield [rng.uniform(-1, 1, size=(1, 32)).astype(np.float32)]

    out = Path(directory)
    converter = tf.lite.TFLiteConverter.from_keras_model(dense())
    (out / "refused_float.tflite").write_bytes(converter.convert())

    converter = tf.lite.TFLiteConverter.from_keras_model(dense())
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    (out / "refused_hybrid.tflite").write_bytes(converter.convert())

    converter = tf.lite.TFLiteConverter.from_keras_model(dense("softmax"))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    (out / "refused_softmax.tflite").write_bytes(converter.convert())
    print("converted the refused models")


def edit_output(flatbuffer_utils, flat, edit):
    """Moves the model's output quantization so that the fused activation's
    bounds lie strictly inside int8: for ReLU6, a scale three times as wide
    (6.0 then quantizes near the middle of the positive range); for ReLU, a
    zero point of -40 at the same scale (0.0 quantizes to -40, and outputs
    below it are negative reals the clamp must remove)."""
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flat))
    graph = model.subgraphs[0]
    output = graph.tensors[graph.outputs[0]]
    # The FULLY_CONNECTED's own output feeds the graph's output directly.
    quantization = output.quantization
    if edit == "relu6_inside":
        quantization.scale = [float(np.float32(quantization.scale[0] * 3.0))]
        quantization.zeroPoint = [-100]
    elif edit == "relu_inside":
        quantization.zeroPoint = [-40]
    else:
        raise ValueError(edit)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def run(directory):
    from importlib.metadata import version

    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    assert version("ai-edge-litert") == "1.2.0", "the fixed-point reference kernels are 1.2.0's"
    for name, widths, *_ in models():
        path = Path(directory) / f"{name}.tflite"
        interpreter = Interpreter(
            model_path=str(path),
            experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
            num_threads=1,
        )
        ops = {op["op_name"] for op in interpreter._get_ops_details()}
        assert ops == {"FULLY_CONNECTED"}, f"{name}: ops {ops}"
        test = np.fromfile(path.with_suffix(".input.bin"), dtype=np.int8).reshape(-1, widths[0])
        input_index = interpreter.get_input_details()[0]["index"]
        output_index = interpreter.get_output_details()[0]["index"]
        interpreter.resize_tensor_input(input_index, list(test.shape))
        interpreter.allocate_tensors()
        interpreter.set_tensor(input_index, test)
        interpreter.invoke()
        result = interpreter.get_tensor(output_index)
        assert result.dtype == np.int8 and result.shape == (test.shape[0], widths[-1])
        result.tofile(path.with_suffix(".output.bin"))
        low, high = int(result.min()), int(result.max())
        print(f"ran {name}: outputs in [{low}, {high}]")


if __name__ == "__main__":
    step, directory = sys.argv[1], sys.argv[2]
    {"convert": convert, "run": run}[step](directory)
