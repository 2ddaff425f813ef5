//! [`Ledger`]: the counts of one layer shape at one batch size, and the table that prints them.

use super::cost;
use super::format::{Dims, Grouped};
use core::fmt::{self, Display, Formatter};

/// One layer shape at one batch size: every count of the shape ledger in `docs/linear-layer.md`.
///
/// Build it with `Linear::<DIN, DOUT, T>::ledger(batch)` (or the bias-free
/// layer's), or directly with [`Ledger::new`]. `Display` prints the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ledger {
    /// Input width `d_in`.
    pub din: usize,
    /// Output width `d_out`.
    pub dout: usize,
    /// Batch size `B`: rows of X and Y.
    pub batch: usize,
    /// Whether the layer has a bias vector.
    pub bias: bool,
    /// Bytes per element (`p`): 4 for `f32`, 8 for `f64`.
    pub elem_bytes: usize,
    /// The element type's name, for printing.
    pub elem_name: &'static str,
}

impl Ledger {
    /// The ledger of a `din → dout` layer of `elem_bytes`-byte elements at batch `batch`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tinylinear::Ledger;
    /// let ledger = Ledger::new(128, 64, 32, true, 4, "f32");
    /// assert_eq!(ledger.params(), 8_256);
    /// ```
    #[must_use]
    pub const fn new(
        din: usize,
        dout: usize,
        batch: usize,
        bias: bool,
        elem_bytes: usize,
        elem_name: &'static str,
    ) -> Self {
        Self { din, dout, batch, bias, elem_bytes, elem_name }
    }

    /// Trainable parameters: `d_in·d_out + d_out` (without the `d_out` when bias-free).
    #[must_use]
    pub const fn params(&self) -> u64 {
        cost::params(self.din, self.dout, self.bias)
    }

    /// Parameter memory in bytes: `p · params`.
    #[must_use]
    pub const fn param_bytes(&self) -> u64 {
        cost::param_bytes(self.din, self.dout, self.bias, self.elem_bytes)
    }

    /// Forward FLOPs: `2·B·d_in·d_out`.
    #[must_use]
    pub const fn forward_flops(&self) -> u64 {
        cost::forward_flops(self.batch, self.din, self.dout)
    }

    /// Backward FLOPs: `4·B·d_in·d_out`.
    #[must_use]
    pub const fn backward_flops(&self) -> u64 {
        cost::backward_flops(self.batch, self.din, self.dout)
    }

    /// Forward + backward FLOPs: `6·B·d_in·d_out`.
    #[must_use]
    pub const fn training_flops(&self) -> u64 {
        cost::training_flops(self.batch, self.din, self.dout)
    }

    /// Forward traffic lower bound in elements: `B·d_in + params + B·d_out`.
    #[must_use]
    pub const fn forward_traffic_elements(&self) -> u64 {
        cost::forward_traffic_elements(self.batch, self.din, self.dout, self.bias)
    }

    /// Forward traffic lower bound in bytes.
    #[must_use]
    pub const fn forward_traffic_bytes(&self) -> u64 {
        cost::bytes(self.forward_traffic_elements(), self.elem_bytes)
    }

    /// Elements of the output Y: `B·d_out`.
    #[must_use]
    pub const fn output_elements(&self) -> u64 {
        cost::elements(self.batch, self.dout)
    }

    /// Bytes of the output Y: `p·B·d_out`.
    #[must_use]
    pub const fn output_bytes(&self) -> u64 {
        cost::bytes(self.output_elements(), self.elem_bytes)
    }

    /// Elements of the input X kept for the backward pass: `B·d_in`.
    #[must_use]
    pub const fn cached_input_elements(&self) -> u64 {
        cost::elements(self.batch, self.din)
    }

    /// Bytes of the input X kept for the backward pass: `p·B·d_in`.
    #[must_use]
    pub const fn cached_input_bytes(&self) -> u64 {
        cost::bytes(self.cached_input_elements(), self.elem_bytes)
    }

    /// Forward arithmetic intensity: FLOPs per byte of the traffic lower bound.
    #[must_use]
    pub const fn arithmetic_intensity(&self) -> f64 {
        cost::forward_intensity(self.batch, self.din, self.dout, self.bias, self.elem_bytes)
    }
}

impl Display for Ledger {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (b, din, dout, p) = (self.batch, self.din, self.dout, self.elem_bytes);
        let bias_word = if self.bias { "Y = X·W + b" } else { "Y = X·W (no bias)" };
        writeln!(f, "Linear<{din}, {dout}, {}> at batch B = {b}: {bias_word}", self.elem_name)?;
        writeln!(f, "{:<9} {:<13} {:>13} {:>15}  meaning", "quantity", "shape", "elements", "bytes")?;
        let mut row = |name: &str, rows: Option<usize>, cols: usize, meaning: &str| {
            let elements = cost::elements(rows.unwrap_or(1), cols);
            writeln!(
                f,
                "{name:<9} {:<13} {:>13} {:>15}  {meaning}",
                Dims(rows, cols),
                Grouped(elements),
                Grouped(cost::bytes(elements, p)),
            )
        };
        row("X", Some(b), din, "mini-batch input")?;
        row("W", Some(din), dout, "trainable weights")?;
        if self.bias {
            row("b", None, dout, "trainable bias, broadcast over B")?;
        }
        row("Y", Some(b), dout, "layer output")?;
        row("dY", Some(b), dout, "upstream gradient dL/dY")?;
        row("dW", Some(din), dout, "weight gradient")?;
        if self.bias {
            row("db", None, dout, "bias gradient")?;
        }
        row("dX", Some(b), din, "input gradient")?;
        writeln!(f)?;
        writeln!(f, "parameters            {:>15}  ({} bytes)", Grouped(self.params()), Grouped(self.param_bytes()))?;
        writeln!(f, "forward FLOPs         {:>15}  (2·B·d_in·d_out)", Grouped(self.forward_flops()))?;
        writeln!(f, "backward FLOPs        {:>15}  (4·B·d_in·d_out)", Grouped(self.backward_flops()))?;
        writeln!(f, "forward + backward    {:>15}  (6·B·d_in·d_out)", Grouped(self.training_flops()))?;
        writeln!(
            f,
            "forward traffic       {:>15}  elements = {} bytes (lower bound)",
            Grouped(self.forward_traffic_elements()),
            Grouped(self.forward_traffic_bytes())
        )?;
        writeln!(f, "arithmetic intensity  {:>15.2}  FLOP/byte", self.arithmetic_intensity())?;
        write!(
            f,
            "activations           output Y {} bytes, cached input X {} bytes",
            Grouped(self.output_bytes()),
            Grouped(self.cached_input_bytes())
        )
    }
}
