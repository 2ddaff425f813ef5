//! The whole network's ledger: the layers' costs summed in `const`.

use crate::ledger::cost::{add, mul};
use crate::ledger::format::Grouped;
use crate::ledger::{budget, cost};
use core::fmt::{self, Display, Formatter};

/// The most layers a [`NetworkLedger`] records. A deeper network is a
/// compile error (in `Network::LEDGER`), not a wrong sum.
pub const MAX_LAYERS: usize = 16;

/// Stack bytes a network's pass may use for each layer after the first,
/// beside the deepest layer's own bound: a `Chain` reaches its second
/// layer through one more call of its own. `examples/stack_bounds` checks
/// the network ledger's bounds, built on this allowance, on each backend.
pub const LAYER_CALL_STACK_BYTES: u64 = 512;

/// One layer of a network, as its ledger sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerRow {
    /// Input width `d_in`.
    pub din: usize,
    /// Output width `d_out`.
    pub dout: usize,
    /// The activation's name.
    pub activation: &'static str,
}

impl LayerRow {
    /// A `din → dout` layer followed by `activation`.
    #[must_use]
    pub const fn new(din: usize, dout: usize, activation: &'static str) -> Self {
        Self { din, dout, activation }
    }

    /// Trainable parameters: `d_in·d_out + d_out`.
    #[must_use]
    pub const fn params(&self) -> u64 {
        cost::params(self.din, self.dout, true)
    }
}

/// What a whole network holds and costs at one batch size, in `u64`, known
/// at compile time: `<Net as Network<T, DIN>>::LEDGER.with_batch(32)`.
/// `Display` prints a table like the single layer's [`Ledger`](crate::Ledger).
///
/// Conventions are the layer ledger's: a multiply-add is 2 FLOPs, bias adds
/// and activations are left out, backward counts dW and dX of every layer
/// (`4·B·d_in·d_out`, an upper bound: the first layer's dX is computed only
/// when asked for). Counts never wrap or saturate: one past `u64` is a
/// compile error in `const` context and a panic at run time, as in
/// [`cost`](crate::ledger::cost).
///
/// # Examples
///
/// ```
/// use tinylinear::network::{Chain, Dense, Network, NetworkLedger, Relu};
/// type Net = Chain<Dense<128, 64, Relu>, Dense<64, 10>>;
/// const LEDGER: NetworkLedger = <Net as Network<f32, 128>>::LEDGER.with_batch(32);
/// const _: () = assert!(LEDGER.params() == 8_256 + 650);
/// const _: () = assert!(LEDGER.forward_flops() == 2 * 32 * (128 * 64 + 64 * 10));
/// println!("{LEDGER}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetworkLedger {
    rows: [LayerRow; MAX_LAYERS],
    len: usize,
    /// Batch size `B`.
    pub batch: usize,
    /// Bytes per element (`p`).
    pub elem_bytes: usize,
    /// The element type's name.
    pub elem_name: &'static str,
}

impl NetworkLedger {
    /// The ledger of a one-layer network at batch 1.
    #[must_use]
    pub const fn single(layer: LayerRow, elem_bytes: usize, elem_name: &'static str) -> Self {
        let mut rows = [LayerRow::new(0, 0, ""); MAX_LAYERS];
        rows[0] = layer;
        Self { rows, len: 1, batch: 1, elem_bytes, elem_name }
    }

    /// This network's layers followed by those of `rest`.
    ///
    /// # Panics
    ///
    /// In `const` context (a compile error) when the two hold more than
    /// [`MAX_LAYERS`] layers together.
    #[must_use]
    pub const fn then(self, rest: Self) -> Self {
        assert!(self.len + rest.len <= MAX_LAYERS, "tinylinear's network ledger records at most 16 layers");
        let mut out = self;
        let mut i = 0;
        while i < rest.len {
            out.rows[self.len + i] = rest.rows[i];
            i += 1;
        }
        out.len = self.len + rest.len;
        out
    }

    /// The same network at batch `batch`.
    #[must_use]
    pub const fn with_batch(self, batch: usize) -> Self {
        Self { batch, ..self }
    }

    /// The layers, first to last.
    #[must_use]
    pub const fn layers(&self) -> &[LayerRow] {
        self.rows.split_at(self.len).0
    }

    /// The network's input width (the first layer's `d_in`).
    #[must_use]
    pub const fn input_width(&self) -> usize {
        self.rows[0].din
    }

    /// The network's output width (the last layer's `d_out`).
    #[must_use]
    pub const fn output_width(&self) -> usize {
        self.rows[self.len - 1].dout
    }

    /// Trainable parameters of all layers.
    #[must_use]
    pub const fn params(&self) -> u64 {
        let mut sum = 0;
        let mut i = 0;
        while i < self.len {
            sum = add(sum, self.rows[i].params());
            i += 1;
        }
        sum
    }

    /// Parameter memory in bytes: `p · params`. The gradients, and the
    /// momentum velocity, take as much again each.
    #[must_use]
    pub const fn param_bytes(&self) -> u64 {
        cost::bytes(self.params(), self.elem_bytes)
    }

    /// Multiply-adds per input row: `Σ d_in·d_out`.
    #[must_use]
    pub const fn multiply_adds_per_row(&self) -> u64 {
        let mut sum = 0;
        let mut i = 0;
        while i < self.len {
            sum = add(sum, cost::multiply_adds(1, self.rows[i].din, self.rows[i].dout));
            i += 1;
        }
        sum
    }

    /// Forward FLOPs at this batch: `2·B·Σ d_in·d_out`.
    #[must_use]
    pub const fn forward_flops(&self) -> u64 {
        mul(2, mul(self.batch as u64, self.multiply_adds_per_row()))
    }

    /// Backward FLOPs at this batch: `4·B·Σ d_in·d_out`.
    #[must_use]
    pub const fn backward_flops(&self) -> u64 {
        mul(4, mul(self.batch as u64, self.multiply_adds_per_row()))
    }

    /// Forward + backward FLOPs at this batch: `6·B·Σ d_in·d_out`.
    #[must_use]
    pub const fn training_flops(&self) -> u64 {
        add(self.forward_flops(), self.backward_flops())
    }

    /// The widest hidden layer (every `d_out` but the last): the width of
    /// the two inference buffers. 0 for a single layer.
    #[must_use]
    pub const fn scratch_width(&self) -> usize {
        let mut widest = 0;
        let mut i = 0;
        while i + 1 < self.len {
            if self.rows[i].dout > widest {
                widest = self.rows[i].dout;
            }
            i += 1;
        }
        widest
    }

    /// The inference scratch in bytes: two ping-pong buffers of
    /// `B × scratch_width`, the stack the forward needs besides X and Y.
    #[must_use]
    pub const fn scratch_bytes(&self) -> u64 {
        cost::bytes(mul(2, cost::elements(self.batch, self.scratch_width())), self.elem_bytes)
    }

    /// The bound on the stack of the inference forward, besides the
    /// buffers its caller holds (X, Y and the scratch): the largest of the
    /// layers' bounds,
    /// [`forward_stack_bytes`](crate::ledger::budget::forward_stack_bytes),
    /// plus [`LAYER_CALL_STACK_BYTES`] for each layer after the first.
    #[must_use]
    pub const fn forward_stack_bytes(&self) -> u64 {
        self.deepest_layer_stack_bytes(false)
    }

    /// The bound on the stack of the training backward at this batch,
    /// besides the buffers its caller holds (X, the trace, dY, dX and the
    /// gradients): the largest of the layers' bounds,
    /// [`backward_stack_bytes`](crate::ledger::budget::backward_stack_bytes),
    /// plus [`LAYER_CALL_STACK_BYTES`] for each layer after the first. (The
    /// training forward's is [`forward_stack_bytes`](Self::forward_stack_bytes).)
    #[must_use]
    pub const fn backward_stack_bytes(&self) -> u64 {
        self.deepest_layer_stack_bytes(true)
    }

    /// The largest of the layers' forward or backward stack bounds, plus
    /// [`LAYER_CALL_STACK_BYTES`] for each layer after the first.
    const fn deepest_layer_stack_bytes(&self, backward: bool) -> u64 {
        let mut deepest = 0;
        let mut i = 0;
        while i < self.len {
            let LayerRow { din, dout, .. } = self.rows[i];
            let bound = if backward {
                budget::backward_stack_bytes(self.batch, din, dout, self.elem_bytes)
            } else {
                budget::forward_stack_bytes(din, dout, self.elem_bytes)
            };
            if bound > deepest {
                deepest = bound;
            }
            i += 1;
        }
        // A ledger holds one layer at least.
        let nested_calls = (self.len - 1) as u64;
        add(deepest, mul(LAYER_CALL_STACK_BYTES, nested_calls))
    }

    /// Bytes of the network's input and output rows at this batch (X and Y,
    /// or X and dY): a single layer's `forward_ram_bytes`.
    const fn input_and_output_bytes(&self) -> u64 {
        budget::forward_ram_bytes(self.batch, self.input_width(), self.output_width(), self.elem_bytes)
    }

    /// Peak activation bytes of inference: X, Y and the two scratch buffers.
    #[must_use]
    pub const fn inference_activation_bytes(&self) -> u64 {
        add(self.input_and_output_bytes(), self.scratch_bytes())
    }

    /// Bytes of the training trace: each layer's `Z` and `A`, `2·p·B·Σ d_out`
    /// (the last layer's `A` is the network's output Y).
    #[must_use]
    pub const fn trace_bytes(&self) -> u64 {
        let mut widths = 0;
        let mut i = 0;
        while i < self.len {
            widths = add(widths, self.rows[i].dout as u64);
            i += 1;
        }
        cost::bytes(mul(2, mul(self.batch as u64, widths)), self.elem_bytes)
    }

    /// Peak activation bytes of training: X, the trace and dY. The backward
    /// pass works inside the trace and needs nothing more.
    #[must_use]
    pub const fn training_activation_bytes(&self) -> u64 {
        add(self.input_and_output_bytes(), self.trace_bytes())
    }
}

impl Display for NetworkLedger {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (b, p) = (self.batch, self.elem_bytes);
        writeln!(
            f,
            "Network of {} layer{}, {}, {} -> {} at batch B = {b}",
            self.len,
            if self.len == 1 { "" } else { "s" },
            self.elem_name,
            self.input_width(),
            self.output_width()
        )?;
        writeln!(
            f,
            "{:<6} {:<13} {:<10} {:>11} {:>13} {:>15}",
            "layer", "shape", "activation", "params", "bytes", "forward FLOPs"
        )?;
        for (i, layer) in self.layers().iter().enumerate() {
            let mut shape = heapless::String::<48>::new(); // two 20-digit usizes and " -> "
            fmt::Write::write_fmt(&mut shape, format_args!("{} -> {}", layer.din, layer.dout))?;
            writeln!(
                f,
                "{:<6} {:<13} {:<10} {:>11} {:>13} {:>15}",
                i + 1,
                shape.as_str(),
                layer.activation,
                Grouped(layer.params()),
                Grouped(cost::bytes(layer.params(), p)),
                Grouped(cost::forward_flops(b, layer.din, layer.dout)),
            )?;
        }
        writeln!(f)?;
        writeln!(f, "parameters            {:>15}  ({} bytes)", Grouped(self.params()), Grouped(self.param_bytes()))?;
        writeln!(f, "forward FLOPs         {:>15}  (2·B·Σ d_in·d_out)", Grouped(self.forward_flops()))?;
        writeln!(f, "backward FLOPs        {:>15}  (4·B·Σ d_in·d_out)", Grouped(self.backward_flops()))?;
        writeln!(f, "forward + backward    {:>15}  (6·B·Σ d_in·d_out)", Grouped(self.training_flops()))?;
        writeln!(
            f,
            "inference scratch     {:>15}  bytes (2 ping-pong buffers, B × {})",
            Grouped(self.scratch_bytes()),
            self.scratch_width()
        )?;
        writeln!(
            f,
            "inference peak        {:>15}  bytes of activations (X, Y, scratch)",
            Grouped(self.inference_activation_bytes())
        )?;
        writeln!(f, "training trace        {:>15}  bytes (Z and A of every layer)", Grouped(self.trace_bytes()))?;
        write!(
            f,
            "training peak         {:>15}  bytes of activations (X, dY, trace); gradients {} bytes more",
            Grouped(self.training_activation_bytes()),
            Grouped(self.param_bytes())
        )
    }
}
