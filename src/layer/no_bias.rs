//! [`LinearNoBias`], the layer `Y = X·W`, and its gradient [`GradsNoBias`].

use super::shared;
use crate::element::Element;
use crate::error::Error;
use crate::kernel::{self, Epilogue, Update};

/// A bias-free fully connected layer `Y = X·W`, as LLaMA-style models use.
///
/// Same storage convention, kernels, ledger and checks as [`Linear`](super::linear::Linear), minus
/// the bias: its ledger counts `DIN·DOUT` parameters.
///
/// # Examples
///
/// ```
/// use tinylinear::{GradsNoBias, LinearNoBias};
/// let layer = LinearNoBias::<2, 2, f64>::new([[1.0, 2.0], [3.0, 4.0]]);
/// assert_eq!(LinearNoBias::<2, 2, f64>::PARAMS, 4);
/// let mut y = [[0.0; 2]];
/// layer.forward(&[[1.0, 1.0]], &mut y);
/// assert_eq!(y, [[4.0, 6.0]]);
/// let mut dx = [[0.0; 2]];
/// let mut grads = GradsNoBias::zeroed();
/// layer.backward_overwrite(&[[1.0, 1.0]], &[[1.0, 0.0]], &mut dx, &mut grads);
/// assert_eq!(dx, [[1.0, 3.0]]);
/// ```
#[derive(Clone, Debug, PartialEq)]
#[repr(C)]
#[cfg_attr(target_pointer_width = "64", repr(align(64)))]
pub struct LinearNoBias<const DIN: usize, const DOUT: usize, T: Element = f32> {
    /// The weights W, d_in × d_out: `weight[k][j]` multiplies input `k` into output `j`.
    pub weight: [[T; DOUT]; DIN],
}

impl<const DIN: usize, const DOUT: usize, T: Element> LinearNoBias<DIN, DOUT, T> {
    shared::ledger_items!(bias: false);

    /// A bias-free layer from its weights (d_in × d_out).
    #[must_use]
    pub const fn new(weight: [[T; DOUT]; DIN]) -> Self {
        let () = kernel::non_empty::<DIN, DOUT>();
        Self { weight }
    }

    /// A bias-free layer of zeros.
    #[must_use]
    pub const fn zeroed() -> Self {
        Self::new([[T::ZERO; DOUT]; DIN])
    }

    /// A bias-free layer from PyTorch's layout (`nn.Linear(.., bias=False).weight`, d_out × d_in).
    #[must_use]
    pub const fn from_torch(weight: &[[T; DIN]; DOUT]) -> Self {
        Self::new(shared::transpose_from_torch(weight))
    }

    /// PyTorch's default initialisation, `U(−1/√DIN, 1/√DIN)`, from a seed.
    /// The weights equal those of [`Linear::torch_init`](super::linear::Linear::torch_init) with the same seed.
    #[must_use]
    pub fn torch_init(seed: u64) -> Self {
        let mut layer = Self::zeroed();
        layer.fill_torch_init(seed);
        layer
    }

    /// Re-initialises this layer in place, as [`LinearNoBias::torch_init`] would build it.
    pub fn fill_torch_init(&mut self, seed: u64) {
        shared::fill_torch_init(seed, &mut self.weight, None);
    }

    /// `Y = X·W` for a batch of `B` rows.
    pub fn forward<const B: usize>(&self, x: &[[T; DIN]; B], y: &mut [[T; DOUT]; B]) {
        kernel::forward(x, &self.weight, None, y);
    }

    /// `Y = f(X·W)`: [`LinearNoBias::forward`] with the epilogue `f` fused in.
    pub fn forward_with<const B: usize, E: Epilogue<T>>(&self, x: &[[T; DIN]; B], y: &mut [[T; DOUT]; B], epilogue: E) {
        kernel::forward_with(x, &self.weight, None, y, epilogue);
    }

    /// Writes `dx = dY·Wᵀ` and **adds** `Xᵀ·dY` into `grads.weight`.
    pub fn backward<const B: usize>(
        &self,
        x: &[[T; DIN]; B],
        dy: &[[T; DOUT]; B],
        dx: &mut [[T; DIN]; B],
        grads: &mut GradsNoBias<DIN, DOUT, T>,
    ) {
        shared::backward(x, dy, &self.weight, dx, &mut grads.weight, None, Update::Accumulate);
    }

    /// Writes `dx = dY·Wᵀ` and **writes** `Xᵀ·dY` into `grads.weight`.
    pub fn backward_overwrite<const B: usize>(
        &self,
        x: &[[T; DIN]; B],
        dy: &[[T; DOUT]; B],
        dx: &mut [[T; DIN]; B],
        grads: &mut GradsNoBias<DIN, DOUT, T>,
    ) {
        shared::backward(x, dy, &self.weight, dx, &mut grads.weight, None, Update::Overwrite);
    }

    /// [`LinearNoBias::forward`] for a run-time batch.
    ///
    /// # Errors
    ///
    /// [`Error::BatchMismatch`] when `y` has another length than `x`; `y` is then untouched.
    pub fn forward_slice(&self, x: &[[T; DIN]], y: &mut [[T; DOUT]]) -> Result<(), Error> {
        shared::forward_slice(x, &self.weight, None, y)
    }

    /// [`LinearNoBias::backward`] (accumulating) for a run-time batch.
    ///
    /// # Errors
    ///
    /// [`Error::BatchMismatch`] when `dy` or `dx` has another length than `x`.
    pub fn backward_slice(
        &self,
        x: &[[T; DIN]],
        dy: &[[T; DOUT]],
        dx: &mut [[T; DIN]],
        grads: &mut GradsNoBias<DIN, DOUT, T>,
    ) -> Result<(), Error> {
        shared::backward_slice(x, dy, &self.weight, dx, &mut grads.weight, None, Update::Accumulate)
    }

    /// [`LinearNoBias::backward_overwrite`] for a run-time batch.
    ///
    /// # Errors
    ///
    /// [`Error::BatchMismatch`] when `dy` or `dx` has another length than `x`.
    pub fn backward_overwrite_slice(
        &self,
        x: &[[T; DIN]],
        dy: &[[T; DOUT]],
        dx: &mut [[T; DIN]],
        grads: &mut GradsNoBias<DIN, DOUT, T>,
    ) -> Result<(), Error> {
        shared::backward_slice(x, dy, &self.weight, dx, &mut grads.weight, None, Update::Overwrite)
    }

    /// One plain SGD step: `W −= lr·dW`.
    pub fn sgd_step(&mut self, grads: &GradsNoBias<DIN, DOUT, T>, learning_rate: T) {
        shared::sgd_step(&mut self.weight, &grads.weight, None, learning_rate);
    }
}

impl<const DIN: usize, const DOUT: usize, T: Element> Default for LinearNoBias<DIN, DOUT, T> {
    fn default() -> Self {
        Self::zeroed()
    }
}

/// The gradient of a [`LinearNoBias`] layer: `dW` alone.
#[derive(Clone, Debug, PartialEq)]
#[repr(C)]
#[cfg_attr(target_pointer_width = "64", repr(align(64)))]
pub struct GradsNoBias<const DIN: usize, const DOUT: usize, T: Element = f32> {
    /// `dW = Xᵀ·dY`, shaped like [`LinearNoBias::weight`].
    pub weight: [[T; DOUT]; DIN],
}

impl<const DIN: usize, const DOUT: usize, T: Element> GradsNoBias<DIN, DOUT, T> {
    /// All-zero gradients, ready to accumulate into.
    #[must_use]
    pub const fn zeroed() -> Self {
        let () = kernel::non_empty::<DIN, DOUT>();
        Self { weight: [[T::ZERO; DOUT]; DIN] }
    }

    /// Sets every gradient to zero in place.
    pub fn zero(&mut self) {
        shared::zero(&mut self.weight, None);
    }
}

impl<const DIN: usize, const DOUT: usize, T: Element> Default for GradsNoBias<DIN, DOUT, T> {
    fn default() -> Self {
        Self::zeroed()
    }
}
