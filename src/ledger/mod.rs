//! The shape ledger: what a layer holds and costs, known before it runs.
//!
//! [`cost`] has the formulas as `const fn`s over plain numbers; [`Ledger`]
//! binds them to one layer shape and one batch size and prints the table of
//! `docs/linear-layer.md` through `core::fmt`, without allocating. Every layer type
//! also exposes the same numbers as associated consts (`Linear::<128, 64>::PARAMS`).
//!
//! # Examples
//!
//! ```
//! use tinylinear::Linear;
//!
//! const LEDGER: tinylinear::Ledger = Linear::<128, 64>::ledger(32);
//! const _: () = assert!(LEDGER.forward_flops() == 524_288);
//! println!("{LEDGER}");
//! ```

pub mod budget;
pub mod cost;

use core::fmt::{self, Display, Formatter, Write as _};

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

/// A `u64` printed with thousands separators (`1,572,864`), honouring width
/// and alignment flags.
pub(crate) struct Grouped(pub(crate) u64);

impl Display for Grouped {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        // u64::MAX has 20 digits and 6 separators.
        let mut buf = [0u8; 26];
        let mut at = buf.len();
        let mut rest = self.0;
        let mut digits = 0;
        loop {
            if digits > 0 && digits % 3 == 0 {
                at -= 1;
                buf[at] = b',';
            }
            at -= 1;
            buf[at] = b'0' + (rest % 10) as u8;
            digits += 1;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        // Only ASCII digits and commas were written.
        f.pad(core::str::from_utf8(&buf[at..]).unwrap_or("?"))
    }
}

/// `rows × cols`, or just `cols` for a vector, padded as a whole.
struct Dims(Option<usize>, usize);

impl Display for Dims {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut text = heapless::String::<48>::new();
        match self.0 {
            Some(rows) => write!(text, "{rows} × {}", self.1)?,
            None => write!(text, "{}", self.1)?,
        }
        f.pad(&text)
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

#[cfg(test)]
mod tests {
    use super::Grouped;
    use core::fmt::Write as _;

    fn grouped(value: u64) -> heapless::String<32> {
        let mut out = heapless::String::new();
        write!(out, "{}", Grouped(value)).unwrap();
        out
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_572_864), "1,572,864");
        assert_eq!(grouped(u64::MAX), "18,446,744,073,709,551,615");
    }
}
