//! [`QLinear`]: an int8 fully-connected layer, TFLite Micro's arithmetic.

use super::fixed_point::{QuantizedMultiplier, multiply_double_rounding, multiply_single_rounding};
use super::params::{QuantParams, Rounding};
use crate::Error;
use crate::error::check_batch;

/// An int8 fully-connected layer, `y = clamp(requantize(b + Σ_k (x_k − z_x)·W[j][k]) + z_y)`,
/// bit for bit as TensorFlow Lite Micro's and CMSIS-NN's int8 FULLY_CONNECTED.
///
/// Built from what a `.tflite` file stores, by a `const fn`: the fixed-point
/// multipliers are formed at compile time, and a `static` layer sits in
/// flash. The weights keep TFLite's layout, `d_out × d_in`, one row per
/// output. The int32 accumulator wraps on overflow, as the C kernels' does in
/// practice (in C it is undefined).
///
/// # Examples
///
/// ```
/// use tinylinear::quant::{QLinear, QuantParams, WeightScales};
///
/// const P: QuantParams<2> = QuantParams {
///     input_scale: 0.5,
///     input_zero_point: 0,
///     weight_scales: WeightScales::PerTensor(0.25),
///     output_scale: 0.5,
///     output_zero_point: 0,
///     activation_min: -128,
///     activation_max: 127,
/// };
/// // Output 0 sums the inputs, output 1 takes input 0 less input 2.
/// static L: QLinear<3, 2> = QLinear::from_tflite(&[[4, 4, 4], [4, 0, -4]], &[0, 0], &P);
///
/// let mut y = [[0i8; 2]];
/// L.forward(&[[2, 4, 6]], &mut y);
/// // Real values: x = (1, 2, 3), W = ((1, 1, 1), (1, 0, -1)): y = (6, -2), /0.5.
/// assert_eq!(y, [[12, -4]]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct QLinear<const DIN: usize, const DOUT: usize> {
    bias: [i32; DOUT],
    multipliers: [i32; DOUT],
    shifts: [i32; DOUT],
    // The scales' bits: layers compare bitwise (and so can be `Eq`), and a
    // chain checks bitwise that one layer's output is the next one's input.
    input_scale: u32,
    input_zero_point: i32,
    output_scale: u32,
    output_zero_point: i32,
    weight: [[i8; DIN]; DOUT],
    activation_min: i8,
    activation_max: i8,
    single_rounding: bool,
}

/// Refuses, at compile time, parameters that [`QLinear::try_from_tflite`]
/// would refuse at run time (a `const` panic takes no formatted message).
pub(super) const fn refuse(error: Error) -> ! {
    match error {
        Error::QuantScale { .. } => panic!("tinylinear: a quantization scale is not positive and finite"),
        Error::ZeroPointRange { .. } => panic!("tinylinear: a zero point lies outside int8's [-128, 127]"),
        Error::ActivationRange { .. } => panic!("tinylinear: activation_min is above activation_max"),
        Error::MultiplierRange { .. } => {
            panic!("tinylinear: input_scale · weight_scale / output_scale is beyond TFLite's fixed-point range")
        }
        _ => panic!("tinylinear: the quantization parameters were refused"),
    }
}

impl<const DIN: usize, const DOUT: usize> QLinear<DIN, DOUT> {
    /// Bytes of the layer, padding included: `d_in·d_out` weights, then per
    /// output an int32 bias, multiplier and shift (12 bytes), 16 bytes of
    /// input and output scales and zero points and 3 of bounds and rounding,
    /// rounded up to 4 bytes: `⌈(d_in·d_out + 12·d_out + 19) / 4⌉·4`.
    pub const PARAM_BYTES: u64 = (DIN as u64 * DOUT as u64 + 12 * DOUT as u64 + 19).div_ceil(4) * 4;

    /// Multiply-accumulates of a forward pass over `batch` rows: `B·d_in·d_out`.
    #[must_use]
    pub const fn forward_macs(batch: usize) -> u64 {
        batch as u64 * DIN as u64 * DOUT as u64
    }

    /// Bytes a forward pass over `batch` rows reads and writes at the least:
    /// the int8 input and output rows and the whole layer once,
    /// `B·d_in + PARAM_BYTES + B·d_out`.
    #[must_use]
    pub const fn forward_traffic_bytes(batch: usize) -> u64 {
        batch as u64 * (DIN as u64 + DOUT as u64) + Self::PARAM_BYTES
    }

    /// The layer TFLite Micro runs for these weights (`d_out × d_in`, TFLite's
    /// layout), int32 bias and parameters, with TFLite's default (double)
    /// rounding. A `const fn`: in a `static` or `const`, bad parameters are a
    /// compile error.
    ///
    /// # Panics
    ///
    /// Where [`QLinear::try_from_tflite`] returns an error (at compile time
    /// when evaluated in a `const` context).
    #[must_use]
    pub const fn from_tflite(weight: &[[i8; DIN]; DOUT], bias: &[i32; DOUT], params: &QuantParams<DOUT>) -> Self {
        match Self::try_from_tflite(weight, bias, params) {
            Ok(layer) => layer,
            Err(error) => refuse(error),
        }
    }

    /// [`QLinear::from_tflite`] for a model built with TFLite's
    /// `TFLITE_SINGLE_ROUNDING`: one rounding of one 64-bit product.
    ///
    /// # Panics
    ///
    /// As [`QLinear::from_tflite`].
    #[must_use]
    pub const fn from_tflite_single_rounding(
        weight: &[[i8; DIN]; DOUT],
        bias: &[i32; DOUT],
        params: &QuantParams<DOUT>,
    ) -> Self {
        match Self::build(weight, bias, params, Rounding::Single) {
            Ok(layer) => layer,
            Err(error) => refuse(error),
        }
    }

    /// [`QLinear::from_tflite`], returning the refusal instead of panicking.
    ///
    /// # Errors
    ///
    /// As [`QuantParams::check`].
    pub const fn try_from_tflite(
        weight: &[[i8; DIN]; DOUT],
        bias: &[i32; DOUT],
        params: &QuantParams<DOUT>,
    ) -> Result<Self, Error> {
        Self::build(weight, bias, params, Rounding::Double)
    }

    /// [`QLinear::from_tflite_single_rounding`], returning the refusal
    /// instead of panicking.
    ///
    /// # Errors
    ///
    /// As [`QuantParams::check`].
    pub const fn try_from_tflite_single_rounding(
        weight: &[[i8; DIN]; DOUT],
        bias: &[i32; DOUT],
        params: &QuantParams<DOUT>,
    ) -> Result<Self, Error> {
        Self::build(weight, bias, params, Rounding::Single)
    }

    pub(super) const fn build(
        weight: &[[i8; DIN]; DOUT],
        bias: &[i32; DOUT],
        params: &QuantParams<DOUT>,
        rounding: Rounding,
    ) -> Result<Self, Error> {
        let () = crate::kernel::non_empty::<DIN, DOUT>();
        let formed = match params.multipliers(rounding) {
            Ok(formed) => formed,
            Err(error) => return Err(error),
        };
        let mut multipliers = [0; DOUT];
        let mut shifts = [0; DOUT];
        let mut channel = 0;
        while channel < DOUT {
            multipliers[channel] = formed[channel].multiplier;
            shifts[channel] = formed[channel].shift;
            channel += 1;
        }
        Ok(Self {
            bias: *bias,
            multipliers,
            shifts,
            input_scale: params.input_scale.to_bits(),
            input_zero_point: params.input_zero_point,
            output_scale: params.output_scale.to_bits(),
            output_zero_point: params.output_zero_point,
            weight: *weight,
            activation_min: params.activation_min,
            activation_max: params.activation_max,
            single_rounding: matches!(rounding, Rounding::Single),
        })
    }

    /// The input's scale and zero point: what the layer before must produce.
    #[must_use]
    pub const fn input_quantization(&self) -> (f32, i32) {
        (f32::from_bits(self.input_scale), self.input_zero_point)
    }

    /// The output's scale and zero point.
    #[must_use]
    pub const fn output_quantization(&self) -> (f32, i32) {
        (f32::from_bits(self.output_scale), self.output_zero_point)
    }

    /// The weights, `d_out × d_in` as TFLite stores them.
    #[must_use]
    pub const fn weight(&self) -> &[[i8; DIN]; DOUT] {
        &self.weight
    }

    /// The int32 bias, at scale `input_scale · weight_scale`.
    #[must_use]
    pub const fn bias(&self) -> &[i32; DOUT] {
        &self.bias
    }

    /// One output channel's multiplier as TFLite holds it: a Q31
    /// significand and a power-of-two shift.
    #[must_use]
    pub const fn multiplier(&self, channel: usize) -> (i32, i32) {
        (self.multipliers[channel], self.shifts[channel])
    }

    /// `y = requantize(x·Wᵀ + b)` for a batch of `B` rows.
    pub fn forward<const B: usize>(&self, x: &[[i8; DIN]; B], y: &mut [[i8; DOUT]; B]) {
        self.forward_rows(x, y);
    }

    /// [`QLinear::forward`] for a batch known only at run time.
    ///
    /// # Errors
    ///
    /// [`Error::BatchMismatch`] when `y` has another number of rows than `x`;
    /// nothing is written then.
    pub fn forward_slice(&self, x: &[[i8; DIN]], y: &mut [[i8; DOUT]]) -> Result<(), Error> {
        check_batch("y", x.len(), y.len())?;
        self.forward_rows(x, y);
        Ok(())
    }

    pub(super) fn forward_rows(&self, x: &[[i8; DIN]], y: &mut [[i8; DOUT]]) {
        for (x_row, y_row) in x.iter().zip(y.iter_mut()) {
            for (j, out) in y_row.iter_mut().enumerate() {
                *out = self.output(j, self.accumulate(j, x_row));
            }
        }
    }

    /// `b_j + Σ_k (x_k − z_x)·W[j][k]`, wrapping in 32 bits.
    #[inline]
    fn accumulate(&self, j: usize, x: &[i8; DIN]) -> i32 {
        let mut acc = self.bias[j];
        for (&xk, &w) in x.iter().zip(&self.weight[j]) {
            acc = acc.wrapping_add((i32::from(xk) - self.input_zero_point) * i32::from(w));
        }
        acc
    }

    /// Requantizes output `j`'s accumulator, adds the output zero point and
    /// clamps to the activation bounds.
    #[inline]
    fn output(&self, j: usize, acc: i32) -> i8 {
        let by = QuantizedMultiplier { multiplier: self.multipliers[j], shift: self.shifts[j] };
        let scaled =
            if self.single_rounding { multiply_single_rounding(acc, by) } else { multiply_double_rounding(acc, by) };
        // The zero point's addition wraps, as the C kernels' `acc += offset` does.
        let shifted = scaled.wrapping_add(self.output_zero_point);
        shifted.clamp(i32::from(self.activation_min), i32::from(self.activation_max)) as i8
    }
}
