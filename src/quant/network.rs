//! int8 networks: [`QLinear`] layers chained at compile time.
//!
//! A [`QChain`] joins a layer to the rest of a network. Its shapes chain by
//! type (a layer of `H` outputs takes a rest of `H` inputs, or the chain does
//! not build), and its `const` constructor checks that each layer's output
//! scale and zero point are the next layer's input ones, bitwise, as they are
//! when both come from one TFLite tensor: in a `static`, a mismatch is a
//! compile error. Inference runs through two int8 ping-pong buffers as wide
//! as the widest hidden layer, [`QPingPong`], with no heap.

use super::QLinear;
use crate::Error;

/// Two int8 buffers of `B` rows of `W`, which a chain's hidden layers write
/// and read in turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QPingPong<const W: usize, const B: usize> {
    ping: [[i8; W]; B],
    pong: [[i8; W]; B],
}

impl<const W: usize, const B: usize> QPingPong<W, B> {
    /// Two buffers of zeros.
    #[must_use]
    pub const fn zeroed() -> Self {
        Self { ping: [[0; W]; B], pong: [[0; W]; B] }
    }
}

/// A network of int8 layers taking rows of `DIN` inputs: one [`QLinear`],
/// or a [`QChain`] of them.
pub trait QNetwork<const DIN: usize> {
    /// One row of the network's output, `[i8; DOUT]` of its last layer.
    type Output: Copy;
    /// Bytes of all layers (what a `static` network puts in flash).
    const PARAM_BYTES: u64;
    /// Multiply-accumulates per input row, over all layers.
    const MACS_PER_ROW: u64;
    /// The widest hidden layer: the least width of the [`QPingPong`]
    /// buffers (0 for a single layer, which needs none).
    const SCRATCH_WIDTH: usize;
    /// Number of layers.
    const LAYERS: usize;

    /// The input's scale and zero point (quantize real inputs with them).
    fn input_quantization(&self) -> (f32, i32);
    /// The output's scale and zero point (dequantize outputs with them).
    fn output_quantization(&self) -> (f32, i32);

    /// `y` = the network applied to `x`, the hidden rows in `scratch`.
    /// `W < SCRATCH_WIDTH` is a compile error.
    fn forward<const B: usize, const W: usize>(
        &self,
        x: &[[i8; DIN]; B],
        y: &mut [Self::Output; B],
        scratch: &mut QPingPong<W, B>,
    );

    /// Inference from a hidden buffer: the input rows lie at the start of
    /// `input`, `spare` is free. Used by [`QNetwork::forward`] of a chain,
    /// whose buffers the `W ≥ SCRATCH_WIDTH` assertion sizes; buffers too
    /// short for the rows give no rows.
    #[doc(hidden)]
    fn forward_from(&self, input: &mut [i8], spare: &mut [i8], y: &mut [Self::Output]);
}

/// The first `n` rows of width `N` laid over `buffer` (none if it is too short).
fn rows<const N: usize>(buffer: &[i8], n: usize) -> &[[i8; N]] {
    let (whole, _) = buffer.as_chunks::<N>();
    whole.get(..n).unwrap_or(&[])
}

/// [`rows`], mutable.
fn rows_mut<const N: usize>(buffer: &mut [i8], n: usize) -> &mut [[i8; N]] {
    let (whole, _) = buffer.as_chunks_mut::<N>();
    whole.get_mut(..n).unwrap_or(&mut [])
}

impl<const DIN: usize, const DOUT: usize> QNetwork<DIN> for QLinear<DIN, DOUT> {
    type Output = [i8; DOUT];
    const PARAM_BYTES: u64 = QLinear::<DIN, DOUT>::PARAM_BYTES;
    const MACS_PER_ROW: u64 = DIN as u64 * DOUT as u64;
    const SCRATCH_WIDTH: usize = 0;
    const LAYERS: usize = 1;

    fn input_quantization(&self) -> (f32, i32) {
        QLinear::input_quantization(self)
    }

    fn output_quantization(&self) -> (f32, i32) {
        QLinear::output_quantization(self)
    }

    fn forward<const B: usize, const W: usize>(
        &self,
        x: &[[i8; DIN]; B],
        y: &mut [[i8; DOUT]; B],
        _scratch: &mut QPingPong<W, B>,
    ) {
        self.forward_rows(x, y);
    }

    fn forward_from(&self, input: &mut [i8], _spare: &mut [i8], y: &mut [[i8; DOUT]]) {
        self.forward_rows(rows::<DIN>(input, y.len()), y);
    }
}

/// A layer followed by the rest of a network: `Rest` takes the layer's
/// `H` outputs as its inputs.
///
/// # Examples
///
/// ```
/// use tinylinear::qchain;
/// use tinylinear::quant::{QChain, QLinear, QNetwork, QPingPong, QuantParams, WeightScales};
///
/// const fn params(input_scale: f32, output_scale: f32) -> QuantParams<2> {
///     QuantParams {
///         input_scale,
///         input_zero_point: 0,
///         weight_scales: WeightScales::PerTensor(0.5),
///         output_scale,
///         output_zero_point: 0,
///         activation_min: -128,
///         activation_max: 127,
///     }
/// }
/// type Net = QChain<QLinear<3, 2>, QLinear<2, 2>>;
/// // The first layer's output (scale 0.25) is the second one's input.
/// static NET: Net = qchain![
///     QLinear::from_tflite(&[[2, 2, 2], [2, 0, -2]], &[0, 0], &params(0.5, 0.25)),
///     QLinear::from_tflite(&[[2, 0], [0, 2]], &[0, 0], &params(0.25, 0.25)),
/// ];
/// const _: () = assert!(Net::PARAM_BYTES <= 1024);
///
/// let mut y = [[0i8; 2]];
/// NET.forward(&[[2, 4, 6]], &mut y, &mut QPingPong::<{ Net::SCRATCH_WIDTH }, 1>::zeroed());
/// assert_eq!(y, [[24, -8]]);
/// ```
///
/// A second layer that does not take the first one's output quantization is
/// a compile error in a `static`:
///
/// ```compile_fail
/// # use tinylinear::qchain;
/// # use tinylinear::quant::{QChain, QLinear, QuantParams, WeightScales};
/// # const fn params(input_scale: f32, output_scale: f32) -> QuantParams<2> {
/// #     QuantParams { input_scale, input_zero_point: 0, weight_scales: WeightScales::PerTensor(0.5),
/// #                   output_scale, output_zero_point: 0, activation_min: -128, activation_max: 127 }
/// # }
/// static NET: QChain<QLinear<3, 2>, QLinear<2, 2>> = qchain![
///     QLinear::from_tflite(&[[1; 3]; 2], &[0, 0], &params(0.5, 0.25)),
///     QLinear::from_tflite(&[[1; 2]; 2], &[0, 0], &params(0.3, 0.25)), // 0.3 ≠ 0.25
/// ];
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QChain<First, Rest> {
    first: First,
    rest: Rest,
}

/// Whether `output` is `input`, bitwise: the scale's bits and the zero point.
const fn links(output: (f32, i32), input: (f32, i32)) -> bool {
    output.0.to_bits() == input.0.to_bits() && output.1 == input.1
}

/// Panics (a compile error in `const` context) unless [`links`] holds.
const fn check_link(output: (f32, i32), input: (f32, i32)) {
    assert!(
        links(output, input),
        "tinylinear: a layer's output scale and zero point are not the next layer's input scale and zero point"
    );
}

impl<const A: usize, const H: usize, const Z: usize> QChain<QLinear<A, H>, QLinear<H, Z>> {
    /// Two layers, the second taking the first's output.
    ///
    /// # Panics
    ///
    /// If the first layer's output scale and zero point are not the second
    /// one's input scale and zero point (a compile error in a `static`).
    #[must_use]
    pub const fn new(first: QLinear<A, H>, rest: QLinear<H, Z>) -> Self {
        check_link(first.output_quantization(), rest.input_quantization());
        Self { first, rest }
    }

    /// [`QChain::new`], returning the refusal instead of panicking.
    ///
    /// # Errors
    ///
    /// [`Error::ChainQuantization`] if the first layer's output scale and
    /// zero point are not the second one's input scale and zero point.
    pub const fn try_new(first: QLinear<A, H>, rest: QLinear<H, Z>) -> Result<Self, Error> {
        if links(first.output_quantization(), rest.input_quantization()) {
            Ok(Self { first, rest })
        } else {
            Err(Error::ChainQuantization)
        }
    }
}

impl<const A: usize, const H: usize, const Z: usize, Rest> QChain<QLinear<A, H>, QChain<QLinear<H, Z>, Rest>> {
    /// A layer before a chain, the chain taking the layer's output.
    ///
    /// # Panics
    ///
    /// As [`QChain::new`].
    #[must_use]
    pub const fn prepend(first: QLinear<A, H>, rest: QChain<QLinear<H, Z>, Rest>) -> Self {
        check_link(first.output_quantization(), rest.first.input_quantization());
        Self { first, rest }
    }

    /// [`QChain::prepend`], returning the refusal instead of panicking.
    ///
    /// # Errors
    ///
    /// As [`QChain::try_new`].
    pub const fn try_prepend(first: QLinear<A, H>, rest: QChain<QLinear<H, Z>, Rest>) -> Result<Self, Error> {
        if links(first.output_quantization(), rest.first.input_quantization()) {
            Ok(Self { first, rest })
        } else {
            // A generic `Rest` may not be dropped in a const fn; its layers
            // own no resources, so forgetting it loses nothing.
            core::mem::forget(rest);
            Err(Error::ChainQuantization)
        }
    }
}

impl<First, Rest> QChain<First, Rest> {
    /// The first layer.
    pub const fn first(&self) -> &First {
        &self.first
    }

    /// The rest of the network.
    pub const fn rest(&self) -> &Rest {
        &self.rest
    }
}

impl<const DIN: usize, const H: usize, Rest: QNetwork<H>> QNetwork<DIN> for QChain<QLinear<DIN, H>, Rest> {
    type Output = Rest::Output;
    const PARAM_BYTES: u64 = QLinear::<DIN, H>::PARAM_BYTES + Rest::PARAM_BYTES;
    const MACS_PER_ROW: u64 = DIN as u64 * H as u64 + Rest::MACS_PER_ROW;
    const SCRATCH_WIDTH: usize = if H > Rest::SCRATCH_WIDTH { H } else { Rest::SCRATCH_WIDTH };
    const LAYERS: usize = 1 + Rest::LAYERS;

    fn input_quantization(&self) -> (f32, i32) {
        self.first.input_quantization()
    }

    fn output_quantization(&self) -> (f32, i32) {
        self.rest.output_quantization()
    }

    fn forward<const B: usize, const W: usize>(
        &self,
        x: &[[i8; DIN]; B],
        y: &mut [Self::Output; B],
        scratch: &mut QPingPong<W, B>,
    ) {
        const {
            assert!(W >= Self::SCRATCH_WIDTH, "tinylinear: the QPingPong buffers are narrower than SCRATCH_WIDTH");
        }
        let (ping, pong) = (scratch.ping.as_flattened_mut(), scratch.pong.as_flattened_mut());
        self.first.forward_rows(x, rows_mut::<H>(ping, B));
        self.rest.forward_from(ping, pong, y);
    }

    fn forward_from(&self, input: &mut [i8], spare: &mut [i8], y: &mut [Self::Output]) {
        let n = y.len();
        self.first.forward_rows(rows::<DIN>(input, n), rows_mut::<H>(spare, n));
        self.rest.forward_from(spare, input, y);
    }
}

/// A [`QChain`] of the layers given, first to last, built by its `const`
/// constructors (so usable in a `static`, where a quantization mismatch
/// between two layers is a compile error).
#[macro_export]
macro_rules! qchain {
    ($first:expr, $second:expr $(,)?) => {
        $crate::quant::QChain::new($first, $second)
    };
    ($first:expr, $($rest:expr),+ $(,)?) => {
        $crate::quant::QChain::prepend($first, $crate::qchain!($($rest),+))
    };
}
