//! Reading int8 fully-connected layers out of a TensorFlow Lite file.
//!
//! [`TfliteModel::parse`] reads a `.tflite` flatbuffer in place (no copy,
//! no heap) and accepts exactly what [`QLinear`] runs: one graph whose
//! operators are a chain of int8 FULLY_CONNECTED ops — int8 input, weights
//! and output, int32 bias or none, symmetric weights per tensor or per
//! channel, a fused NONE, RELU, RELU_N1_TO_1 or RELU6 — each op's output the
//! next one's input. Anything else is refused with an error that names it:
//! another operator, a float or "hybrid" (float input, int8 weights)
//! FULLY_CONNECTED, a malformed or truncated file.

use super::QLinear;
use super::bytes::quant_byte_len;
use super::flatbuffer::{Table, Vector, malformed};
use super::multiplier::quantize_real;
use super::params::{QuantParams, WeightScales, check_zero_point, is_positive_finite};
use super::tflite_operators::BUILTIN_OPERATORS;
use crate::Error;
use crate::bytes::MAGIC;

const FULLY_CONNECTED: i32 = 9;
const TENSOR_FLOAT32: u8 = 0;
const TENSOR_INT32: u8 = 2;
const TENSOR_INT8: u8 = 9;
const OPTIONS_FULLY_CONNECTED: u8 = 8;

const fn unsupported(what: &'static str) -> Error {
    Error::TfliteUnsupported { what }
}

/// The activation TFLite fuses into a FULLY_CONNECTED op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FusedActivation {
    /// No activation: the bounds are int8's.
    None,
    /// `max(0, y)`.
    Relu,
    /// `clamp(y, -1, 1)`.
    ReluN1To1,
    /// `clamp(y, 0, 6)`.
    Relu6,
}

impl FusedActivation {
    /// The quantized output bounds TFLite derives for this activation
    /// (`CalculateActivationRangeQuantized`): each real bound divided by the
    /// output scale in `f32`, rounded half away from zero, plus the zero
    /// point, kept within int8.
    ///
    /// # Errors
    ///
    /// [`Error::QuantScale`] for a scale that is not positive and finite,
    /// [`Error::ZeroPointRange`] for a zero point outside int8.
    ///
    /// # Examples
    ///
    /// ```
    /// use tinylinear::quant::FusedActivation;
    /// // 6.0 / 0.05 = 120: ReLU6's top is 120 above the zero point.
    /// assert_eq!(FusedActivation::Relu6.bounds(0.05, -128), Ok((-128, -8)));
    /// assert_eq!(FusedActivation::None.bounds(0.05, -128), Ok((-128, 127)));
    /// ```
    pub const fn bounds(self, output_scale: f32, output_zero_point: i32) -> Result<(i8, i8), Error> {
        if !is_positive_finite(output_scale) {
            return Err(Error::QuantScale { tensor: "output", channel: 0 });
        }
        if let Err(error) = check_zero_point("output", output_zero_point) {
            return Err(error);
        }
        let (low, high) = match self {
            FusedActivation::None => return Ok((i8::MIN, i8::MAX)),
            FusedActivation::Relu => (Some(0), None),
            FusedActivation::ReluN1To1 => (Some(-1), Some(1)),
            FusedActivation::Relu6 => (Some(0), Some(6)),
        };
        // Quantized bounds past int8 are cut to it, as TFLite's max/min do.
        let min = match low {
            Some(real) => clamp_to_i8(quantize_real(real, output_scale).saturating_add(output_zero_point)),
            None => i8::MIN,
        };
        let max = match high {
            Some(real) => clamp_to_i8(quantize_real(real, output_scale).saturating_add(output_zero_point)),
            None => i8::MAX,
        };
        Ok((min, max))
    }
}

const fn clamp_to_i8(value: i32) -> i8 {
    if value < i8::MIN as i32 {
        i8::MIN
    } else if value > i8::MAX as i32 {
        i8::MAX
    } else {
        value as i8
    }
}

/// A `.tflite` file read as a chain of int8 fully-connected layers.
///
/// # Examples
///
/// ```
/// use tinylinear::quant::TfliteModel;
/// use tinylinear::Error;
///
/// // Not a TensorFlow Lite file: refused with a reason, never a panic.
/// assert!(matches!(TfliteModel::parse(b"hello"), Err(Error::TfliteMalformed { .. })));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TfliteModel<'a> {
    tensors: Vector<'a>,
    operators: Vector<'a>,
    buffers: Vector<'a>,
}

/// One int8 FULLY_CONNECTED op of a [`TfliteModel`], borrowed from the file.
#[derive(Clone, Copy, Debug)]
pub struct TfliteLayer<'a> {
    /// Inputs: the last dimension of the input tensor.
    pub d_in: usize,
    /// Outputs: the rows of TFLite's `d_out × d_in` weights.
    pub d_out: usize,
    /// The activation fused into the op.
    pub activation: FusedActivation,
    weight: &'a [u8],
    bias: Option<&'a [u8]>,
    input: (f32, i32),
    weight_scales: Vector<'a>,
    output: (f32, i32),
}

/// The parts of a tensor a layer needs.
struct TensorInfo<'a> {
    kind: u8,
    shape: Option<Vector<'a>>,
    buffer: u32,
    quantization: Option<Table<'a>>,
}

impl<'a> TfliteModel<'a> {
    /// Reads `bytes` as a TensorFlow Lite model of chained int8
    /// FULLY_CONNECTED ops.
    ///
    /// # Errors
    ///
    /// [`Error::TfliteMalformed`] for bytes that are not a well-formed
    /// `.tflite` file, [`Error::TfliteUnsupported`] naming the first thing
    /// this crate does not run (another operator, a float or hybrid
    /// FULLY_CONNECTED, ops that do not form one chain, …).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        if bytes.get(4..8) != Some(b"TFL3".as_slice()) {
            return Err(malformed("no TFL3 file identifier at bytes 4..8"));
        }
        let model = Table::root(bytes)?;
        let codes = model.vector(1, 4)?.ok_or(malformed("no operator codes"))?;
        let graphs = model.vector(2, 4)?.ok_or(malformed("no subgraphs"))?;
        let buffers = model.vector(4, 4)?.ok_or(malformed("no buffers"))?;
        if graphs.len() != 1 {
            return Err(unsupported("a model of more than one subgraph"));
        }
        let graph = graphs.table(0)?;
        let tensors = graph.vector(0, 4)?.ok_or(malformed("a subgraph without tensors"))?;
        let inputs = graph.vector(1, 4)?.ok_or(malformed("a subgraph without inputs"))?;
        let outputs = graph.vector(2, 4)?.ok_or(malformed("a subgraph without outputs"))?;
        let operators = graph.vector(3, 4)?.ok_or(malformed("a subgraph without operators"))?;
        if operators.len() == 0 {
            return Err(unsupported("a model with no operators"));
        }
        if inputs.len() != 1 || outputs.len() != 1 {
            return Err(unsupported("a model with more than one input or output"));
        }
        let this = Self { tensors, operators, buffers };
        // Every op a FULLY_CONNECTED, each fed by the one before.
        let mut expected_input = inputs.u32(0)?;
        for i in 0..operators.len() {
            let op = operators.table(i)?;
            let code_index = op.u32(0, 0)? as usize;
            if code_index >= codes.len() {
                return Err(malformed("an operator code index past the table"));
            }
            let code = codes.table(code_index)?;
            let deprecated = i32::from(code.byte(0, 0)? as i8);
            let builtin = code.u32(3, 0)? as i32;
            let builtin = builtin.max(deprecated);
            if builtin != FULLY_CONNECTED {
                return Err(unsupported(match usize::try_from(builtin).ok().and_then(|c| BUILTIN_OPERATORS.get(c)) {
                    Some(name) => name,
                    None => "an operator unknown to this crate",
                }));
            }
            let op_inputs = op.vector(1, 4)?.ok_or(malformed("an operator without inputs"))?;
            if op_inputs.len() == 0 || op_inputs.u32(0)? != expected_input {
                return Err(unsupported("FULLY_CONNECTED ops that do not form one chain"));
            }
            let op_outputs = op.vector(2, 4)?.ok_or(malformed("an operator without outputs"))?;
            if op_outputs.len() != 1 {
                return Err(unsupported("a FULLY_CONNECTED with more than one output"));
            }
            expected_input = op_outputs.u32(0)?;
            // Reading the layer checks its types, shapes and quantization.
            this.layer(i)?;
        }
        if outputs.u32(0)? != expected_input {
            return Err(unsupported("a model whose output is not the last FULLY_CONNECTED's"));
        }
        Ok(this)
    }

    /// Number of FULLY_CONNECTED ops, in the order they run.
    #[must_use]
    pub fn layer_count(&self) -> usize {
        self.operators.len()
    }

    /// The `index`-th FULLY_CONNECTED op.
    ///
    /// # Errors
    ///
    /// As [`TfliteModel::parse`] (which has read every layer once), or a
    /// [`Error::TfliteMalformed`] for an index past the last layer.
    pub fn layer(&self, index: usize) -> Result<TfliteLayer<'a>, Error> {
        let op = self.operators.table(index)?;
        let op_inputs = op.vector(1, 4)?.ok_or(malformed("an operator without inputs"))?;
        let op_outputs = op.vector(2, 4)?.ok_or(malformed("an operator without outputs"))?;
        if op_inputs.len() < 2 || op_inputs.len() > 3 {
            return Err(malformed("a FULLY_CONNECTED without 2 or 3 inputs"));
        }
        let input = self.tensor(op_inputs.u32(0)?)?;
        let weight = self.tensor(op_inputs.u32(1)?)?;
        let bias_index = if op_inputs.len() == 3 { op_inputs.u32(2)? as i32 } else { -1 };
        let bias = if bias_index < 0 { None } else { Some(self.tensor(bias_index as u32)?) };
        let output = self.tensor(op_outputs.u32(0)?)?;

        if input.kind == TENSOR_FLOAT32 && weight.kind == TENSOR_INT8 {
            return Err(unsupported("a hybrid FULLY_CONNECTED (float input, int8 weights)"));
        }
        if input.kind == TENSOR_FLOAT32 || weight.kind == TENSOR_FLOAT32 {
            return Err(unsupported("a float FULLY_CONNECTED"));
        }
        if input.kind != TENSOR_INT8 || weight.kind != TENSOR_INT8 || output.kind != TENSOR_INT8 {
            return Err(unsupported("a FULLY_CONNECTED whose input, weights or output are not int8"));
        }
        if bias.as_ref().is_some_and(|b| b.kind != TENSOR_INT32) {
            return Err(unsupported("a FULLY_CONNECTED whose bias is not int32"));
        }

        let options = match op.byte(3, 0)? {
            OPTIONS_FULLY_CONNECTED => op.table(4)?,
            0 => None,
            _ => return Err(malformed("a FULLY_CONNECTED with another op's options")),
        };
        let (activation, weights_format) = match options {
            Some(options) => (options.byte(0, 0)?, options.byte(1, 0)?),
            None => (0, 0),
        };
        let activation = match activation {
            0 => FusedActivation::None,
            1 => FusedActivation::Relu,
            2 => FusedActivation::ReluN1To1,
            3 => FusedActivation::Relu6,
            4 => return Err(unsupported("a FULLY_CONNECTED with a fused TANH")),
            _ => return Err(unsupported("a FULLY_CONNECTED with an unknown fused activation")),
        };
        if weights_format != 0 {
            return Err(unsupported("a FULLY_CONNECTED with shuffled weights"));
        }

        let weight_shape = weight.shape.ok_or(malformed("weights without a shape"))?;
        if weight_shape.len() != 2 {
            return Err(unsupported("a FULLY_CONNECTED whose weights are not 2-D"));
        }
        let d_out = dimension(weight_shape.u32(0)?)?;
        let d_in = dimension(weight_shape.u32(1)?)?;
        let input_shape = input.shape.ok_or(malformed("an input without a shape"))?;
        let output_shape = output.shape.ok_or(malformed("an output without a shape"))?;
        if input_shape.len() == 0 || dimension(input_shape.u32(input_shape.len() - 1)?)? != d_in {
            return Err(unsupported("a FULLY_CONNECTED whose input is not a batch of d_in rows"));
        }
        if output_shape.len() == 0 || dimension(output_shape.u32(output_shape.len() - 1)?)? != d_out {
            return Err(unsupported("a FULLY_CONNECTED whose output is not a batch of d_out rows"));
        }

        let weight_bytes = self.buffer(weight.buffer)?;
        if Some(weight_bytes.len()) != d_in.checked_mul(d_out) {
            return Err(malformed("weights whose data does not match their shape"));
        }
        let bias_bytes = match &bias {
            Some(bias) => {
                let data = self.buffer(bias.buffer)?;
                if Some(data.len()) != d_out.checked_mul(4) {
                    return Err(malformed("a bias whose data does not match d_out"));
                }
                Some(data)
            }
            None => None,
        };

        let input_q = scalar_quantization(&input, "input")?;
        let output_q = scalar_quantization(&output, "output")?;
        let weight_q = weight.quantization.ok_or(unsupported("weights without quantization"))?;
        let weight_scales = weight_q.vector(2, 4)?.ok_or(unsupported("weights without scales"))?;
        let weight_zero_points = weight_q.vector(3, 8)?;
        if weight_scales.len() != 1 && weight_scales.len() != d_out {
            return Err(unsupported("weights with neither one scale nor one per output"));
        }
        if weight_scales.len() > 1 && weight_q.u32(6, 0)? != 0 {
            return Err(unsupported("weights quantized along d_in instead of d_out"));
        }
        if let Some(zero_points) = weight_zero_points {
            for i in 0..zero_points.len() {
                if zero_points.u64(i)? != 0 {
                    return Err(unsupported("asymmetric weights (a weight zero point other than 0)"));
                }
            }
        }
        Ok(TfliteLayer {
            d_in,
            d_out,
            activation,
            weight: weight_bytes,
            bias: bias_bytes,
            input: input_q,
            weight_scales,
            output: output_q,
        })
    }

    fn tensor(&self, index: u32) -> Result<TensorInfo<'a>, Error> {
        if index as usize >= self.tensors.len() {
            return Err(malformed("a tensor index past the tensor table"));
        }
        let tensor = self.tensors.table(index as usize)?;
        Ok(TensorInfo {
            kind: tensor.byte(1, 0)?,
            shape: tensor.vector(0, 4)?,
            buffer: tensor.u32(2, 0)?,
            quantization: tensor.table(4)?,
        })
    }

    fn buffer(&self, index: u32) -> Result<&'a [u8], Error> {
        if index as usize >= self.buffers.len() {
            return Err(malformed("a buffer index past the buffer table"));
        }
        let buffer = self.buffers.table(index as usize)?;
        if buffer.u64(1, 0)? != 0 {
            return Err(unsupported("tensor data stored outside the flatbuffer"));
        }
        Ok(buffer.vector(0, 1)?.map_or(&[][..], |data| data.bytes(1)))
    }
}

/// A tensor dimension as a count: positive and addressable.
fn dimension(raw: u32) -> Result<usize, Error> {
    let signed = raw as i32;
    if signed <= 0 {
        return Err(unsupported("a tensor with an empty or unknown dimension"));
    }
    usize::try_from(signed).map_err(|_| unsupported("a dimension too large for this target"))
}

/// One scale and one zero point, as an activation tensor must have.
fn scalar_quantization(tensor: &TensorInfo<'_>, name: &'static str) -> Result<(f32, i32), Error> {
    let quantization = tensor.quantization.ok_or(unsupported("an int8 tensor without quantization"))?;
    let scales = quantization.vector(2, 4)?.ok_or(unsupported("an int8 tensor without a scale"))?;
    let zero_points = quantization.vector(3, 8)?.ok_or(unsupported("an int8 tensor without a zero point"))?;
    if scales.len() != 1 || zero_points.len() != 1 {
        return Err(unsupported(match name {
            "input" => "an input quantized per channel",
            _ => "an output quantized per channel",
        }));
    }
    let scale = f32::from_bits(scales.u32(0)?);
    let zero_point = zero_points.u64(0)? as i64;
    let zero_point = i32::try_from(zero_point).unwrap_or(i32::MAX);
    Ok((scale, zero_point))
}

impl TfliteLayer<'_> {
    /// Whether the weights have one scale per output channel.
    #[must_use]
    pub fn per_channel(&self) -> bool {
        self.weight_scales.len() > 1
    }

    /// Whether the op has a bias.
    #[must_use]
    pub fn has_bias(&self) -> bool {
        self.bias.is_some()
    }

    /// The op's quantization, with the activation bounds TFLite derives.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] if `DOUT` is not the op's `d_out`, and the
    /// refusals of [`FusedActivation::bounds`].
    pub fn params<const DOUT: usize>(&self) -> Result<QuantParams<DOUT>, Error> {
        if DOUT != self.d_out {
            return Err(Error::ShapeMismatch { expected: (self.d_in, DOUT), found: (self.d_in, self.d_out) });
        }
        let weight_scales = if self.per_channel() {
            let mut scales = [0.0f32; DOUT];
            for (j, scale) in scales.iter_mut().enumerate() {
                *scale = f32::from_bits(self.weight_scales.u32(j)?);
            }
            WeightScales::PerChannel(scales)
        } else {
            WeightScales::PerTensor(f32::from_bits(self.weight_scales.u32(0)?))
        };
        let (activation_min, activation_max) = self.activation.bounds(self.output.0, self.output.1)?;
        Ok(QuantParams {
            input_scale: self.input.0,
            input_zero_point: self.input.1,
            weight_scales,
            output_scale: self.output.0,
            output_zero_point: self.output.1,
            activation_min,
            activation_max,
        })
    }

    /// The weights as TFLite stores them, `d_out × d_in`, into `out`.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] if `DIN × DOUT` is not the op's shape.
    pub fn weights<const DIN: usize, const DOUT: usize>(&self, out: &mut [[i8; DIN]; DOUT]) -> Result<(), Error> {
        if (DIN, DOUT) != (self.d_in, self.d_out) {
            return Err(Error::ShapeMismatch { expected: (DIN, DOUT), found: (self.d_in, self.d_out) });
        }
        for (row, bytes) in out.iter_mut().zip(self.weight.chunks_exact(DIN)) {
            for (w, &b) in row.iter_mut().zip(bytes) {
                *w = b as i8;
            }
        }
        Ok(())
    }

    /// The int32 bias (zeros for an op without one), into `out`.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] if `DOUT` is not the op's `d_out`.
    pub fn bias<const DOUT: usize>(&self, out: &mut [i32; DOUT]) -> Result<(), Error> {
        if DOUT != self.d_out {
            return Err(Error::ShapeMismatch { expected: (self.d_in, DOUT), found: (self.d_in, self.d_out) });
        }
        *out = [0; DOUT];
        if let Some(bias) = self.bias {
            for (b, bytes) in out.iter_mut().zip(bias.chunks_exact(4)) {
                *b = i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            }
        }
        Ok(())
    }

    /// Bytes of this op in the int8 layer format (see
    /// [`QLinear::from_le_bytes`]).
    #[must_use]
    pub fn byte_len(&self) -> usize {
        let bias = if self.bias.is_some() { self.d_out } else { 0 };
        quant_byte_len(self.d_in, self.d_out, self.weight_scales.len(), bias)
    }

    /// Writes this op in the int8 layer format, which
    /// [`QLinear::from_le_bytes_baked`] reads into a `static`, and returns
    /// the number of bytes written, [`TfliteLayer::byte_len`].
    ///
    /// # Errors
    ///
    /// [`Error::ShapeTooLarge`] when d_in or d_out does not fit the header's
    /// `u32` fields, else [`Error::ByteLength`] when `out` is shorter than
    /// `byte_len()`. Nothing is written in either case.
    pub fn write_le_bytes(&self, out: &mut [u8]) -> Result<usize, Error> {
        let (Ok(din), Ok(dout)) = (u32::try_from(self.d_in), u32::try_from(self.d_out)) else {
            return Err(Error::ShapeTooLarge { found: (self.d_in, self.d_out) });
        };
        let len = self.byte_len();
        let Some(out) = out.get_mut(..len) else {
            return Err(Error::ByteLength { expected: len, found: out.len() });
        };
        let (activation_min, activation_max) = self.activation.bounds(self.output.0, self.output.1)?;
        let bias_len = if self.bias.is_some() { dout } else { 0 };
        let mut header = [0u8; 40];
        header[..4].copy_from_slice(&MAGIC);
        for (at, value) in [(4, 1), (8, din), (12, dout), (16, bias_len)] {
            header[at..at + 4].copy_from_slice(&u32::to_le_bytes(value));
        }
        header[20..24].copy_from_slice(&self.input.0.to_le_bytes());
        header[24..28].copy_from_slice(&self.input.1.to_le_bytes());
        header[28..32].copy_from_slice(&self.output.0.to_le_bytes());
        header[32..36].copy_from_slice(&self.output.1.to_le_bytes());
        header[36] = activation_min as u8;
        header[37] = activation_max as u8;
        header[38] = 0; // TFLite's default rounding
        header[39] = u8::from(self.per_channel());
        let (head, rest) = out.split_at_mut(40);
        head.copy_from_slice(&header);
        let scales = self.weight_scales.bytes(4);
        let (scale_bytes, rest) = rest.split_at_mut(scales.len());
        scale_bytes.copy_from_slice(scales);
        let bias = self.bias.unwrap_or(&[]);
        let (bias_bytes, weight_bytes) = rest.split_at_mut(bias.len());
        bias_bytes.copy_from_slice(bias);
        weight_bytes.copy_from_slice(self.weight);
        Ok(len)
    }

    /// The layer TFLite Micro runs for this op.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] if `DIN × DOUT` is not the op's shape, and
    /// the refusals of [`QLinear::try_from_tflite`].
    pub fn to_qlinear<const DIN: usize, const DOUT: usize>(&self) -> Result<QLinear<DIN, DOUT>, Error> {
        let mut weight = [[0i8; DIN]; DOUT];
        let mut bias = [0i32; DOUT];
        self.weights(&mut weight)?;
        self.bias(&mut bias)?;
        QLinear::try_from_tflite(&weight, &bias, &self.params()?)
    }
}
