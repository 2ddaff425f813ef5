//! What the two layer types have in common: their ledger items, and the
//! bodies of their constructors and passes.
//!
//! Each body takes the bias, or its gradient, as an `Option`: `Some` from
//! `Linear`, `None` from `LinearNoBias`. This module depends on neither
//! type; the public methods stay written out in each type's own `impl`, so
//! that their signatures and docs are the ones rustdoc and the compiler's
//! messages show.

use crate::element::Element;
use crate::error::{Error, check_batch};
use crate::init::TorchUniform;
use crate::kernel::{self, Update};

/// The ledger's associated consts and `const fn`s, the same for both layer types.
macro_rules! ledger_items {
    (bias: $bias:expr) => {
        /// Trainable parameters: `DIN·DOUT + DOUT` with a bias, `DIN·DOUT` without.
        pub const PARAMS: u64 = crate::ledger::cost::params(DIN, DOUT, $bias);

        /// Parameter memory in bytes: `size_of::<T>() · PARAMS`. This is what
        /// a `static` layer puts in flash.
        pub const PARAM_BYTES: u64 = crate::ledger::cost::param_bytes(DIN, DOUT, $bias, T::BYTES);

        /// The full ledger of this layer at batch `batch`; `Display` prints the table.
        #[must_use]
        pub const fn ledger(batch: usize) -> crate::ledger::layer_ledger::Ledger {
            crate::ledger::layer_ledger::Ledger::new(DIN, DOUT, batch, $bias, T::BYTES, T::NAME)
        }

        /// Forward FLOPs at batch `batch`: `2·batch·DIN·DOUT`.
        #[must_use]
        pub const fn forward_flops(batch: usize) -> u64 {
            Self::ledger(batch).forward_flops()
        }

        /// Backward FLOPs at batch `batch`: `4·batch·DIN·DOUT` (dW and dX).
        #[must_use]
        pub const fn backward_flops(batch: usize) -> u64 {
            Self::ledger(batch).backward_flops()
        }

        /// Forward + backward FLOPs at batch `batch`: `6·batch·DIN·DOUT`.
        #[must_use]
        pub const fn training_flops(batch: usize) -> u64 {
            Self::ledger(batch).training_flops()
        }

        /// Lower bound of forward memory traffic in bytes: X, W and b read
        /// once, Y written once.
        #[must_use]
        pub const fn forward_traffic_bytes(batch: usize) -> u64 {
            Self::ledger(batch).forward_traffic_bytes()
        }

        /// Bytes of the output activation Y at batch `batch`: `p·batch·DOUT`.
        #[must_use]
        pub const fn output_bytes(batch: usize) -> u64 {
            Self::ledger(batch).output_bytes()
        }

        /// Bytes of the input X that training keeps for the backward pass: `p·batch·DIN`.
        #[must_use]
        pub const fn cached_input_bytes(batch: usize) -> u64 {
            Self::ledger(batch).cached_input_bytes()
        }

        /// Forward FLOPs per byte of the traffic lower bound at batch `batch`.
        #[must_use]
        pub const fn arithmetic_intensity(batch: usize) -> f64 {
            Self::ledger(batch).arithmetic_intensity()
        }
    };
}
pub(super) use ledger_items;

/// PyTorch's d_out × d_in weight, transposed into the crate's d_in × d_out.
pub(super) const fn transpose_from_torch<T: Element, const DIN: usize, const DOUT: usize>(
    torch: &[[T; DIN]; DOUT],
) -> [[T; DOUT]; DIN] {
    let mut weight = [[T::ZERO; DOUT]; DIN];
    let mut k = 0;
    while k < DIN {
        let mut j = 0;
        while j < DOUT {
            weight[k][j] = torch[j][k];
            j += 1;
        }
        k += 1;
    }
    weight
}

/// Draws the weights, then the bias if there is one, from one seeded
/// stream. The weights come first so that a seed gives the same W with or
/// without a bias.
pub(super) fn fill_torch_init<T: Element, const DIN: usize, const DOUT: usize>(
    seed: u64,
    weight: &mut [[T; DOUT]; DIN],
    bias: Option<&mut [T; DOUT]>,
) {
    let mut uniform = TorchUniform::new(seed, DIN);
    uniform.fill(weight.as_flattened_mut());
    if let Some(bias) = bias {
        uniform.fill(bias);
    }
}

/// The forward pass of a batch known only at run time: `y` must have as
/// many rows as `x`, and is left untouched when it has not.
pub(super) fn forward_slice<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    weight: &[[T; DOUT]; DIN],
    bias: Option<&[T; DOUT]>,
    y: &mut [[T; DOUT]],
) -> Result<(), Error> {
    check_batch("y", x.len(), y.len())?;
    kernel::forward(x, weight, bias, y);
    Ok(())
}

/// The backward pass: writes `dx = dY·Wᵀ` and updates (adds to, or
/// overwrites, as `update` says) `grad_weight` with `Xᵀ·dY` and
/// `grad_bias`, if the layer has one, with `Σ_batch dY`.
pub(super) fn backward<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    dy: &[[T; DOUT]],
    weight: &[[T; DOUT]; DIN],
    dx: &mut [[T; DIN]],
    grad_weight: &mut [[T; DOUT]; DIN],
    grad_bias: Option<&mut [T; DOUT]>,
    update: Update,
) {
    kernel::backward_input_and_weight(x, dy, weight, dx, grad_weight, update);
    if let Some(grad_bias) = grad_bias {
        kernel::backward_bias(dy, grad_bias, update);
    }
}

/// [`backward`] for a batch known only at run time: `dy` and `dx` must
/// have as many rows as `x`, and nothing is written when they have not.
pub(super) fn backward_slice<T: Element, const DIN: usize, const DOUT: usize>(
    x: &[[T; DIN]],
    dy: &[[T; DOUT]],
    weight: &[[T; DOUT]; DIN],
    dx: &mut [[T; DIN]],
    grad_weight: &mut [[T; DOUT]; DIN],
    grad_bias: Option<&mut [T; DOUT]>,
    update: Update,
) -> Result<(), Error> {
    check_batch("dy", x.len(), dy.len())?;
    check_batch("dx", x.len(), dx.len())?;
    backward(x, dy, weight, dx, grad_weight, grad_bias, update);
    Ok(())
}

/// One plain SGD step, `θ −= lr·g`, over the weights and, if the layer has
/// one, the bias (given with its gradient).
pub(super) fn sgd_step<T: Element, const DIN: usize, const DOUT: usize>(
    weight: &mut [[T; DOUT]; DIN],
    grad_weight: &[[T; DOUT]; DIN],
    bias: Option<(&mut [T; DOUT], &[T; DOUT])>,
    learning_rate: T,
) {
    sgd_update(weight.as_flattened_mut(), grad_weight.as_flattened(), learning_rate);
    if let Some((bias, grad_bias)) = bias {
        sgd_update(bias, grad_bias, learning_rate);
    }
}

/// `params −= learning_rate · grads`, element by element.
fn sgd_update<T: Element>(params: &mut [T], grads: &[T], learning_rate: T) {
    debug_assert_eq!(params.len(), grads.len());
    for (param, &grad) in params.iter_mut().zip(grads) {
        *param -= learning_rate * grad;
    }
}

/// Sets a gradient (and its bias part, if any) to zero in place.
pub(super) fn zero<T: Element, const DIN: usize, const DOUT: usize>(
    weight: &mut [[T; DOUT]; DIN],
    bias: Option<&mut [T; DOUT]>,
) {
    weight.as_flattened_mut().fill(T::ZERO);
    if let Some(bias) = bias {
        bias.fill(T::ZERO);
    }
}
