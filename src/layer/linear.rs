//! [`Linear`], the layer `Y = X·W + b`, and its gradients [`Grads`].

use super::shared;
use crate::element::Element;
use crate::error::Error;
use crate::kernel::{self, Epilogue, Update};

/// A fully connected layer `Y = X·W + b` with compile-time shapes.
///
/// `weight` is stored **d_in × d_out** (`weight[k][j]` links input `k` to
/// output `j`), so a batch `X` (B × d_in, one row per sample) maps to
/// `Y = X·W + b` (B × d_out). PyTorch stores the transpose; bring its
/// weights in through [`Linear::from_torch`].
///
/// Every shape is a type: a wrong input width, a batch of `y` that differs
/// from the batch of `x`, or gradients of another layer's shape do not
/// compile. The cost of the layer is known in `const` context
/// ([`Linear::PARAM_BYTES`], [`Linear::forward_flops`], [`Linear::ledger`], …).
///
/// # Layout
///
/// `weight` comes first, then `bias` (`repr(C)`). On 64-bit targets, where
/// the SIMD kernels run, the layer and its [`Grads`] start on a 64-byte
/// cache line, so that rows of W and dW whose size is a multiple of 32
/// bytes are read and written in vectors that never straddle two lines:
/// a vector across two lines costs two cache accesses instead of one
/// (BENCHMARKS.md, "Where a buffer starts matters", has what that does to
/// the passes). The padding this adds is under 64 bytes. On 32-bit targets (firmware) the types are exactly
/// [`Linear::PARAM_BYTES`] long.
///
/// # Examples
///
/// ```
/// use tinylinear::{Grads, Linear};
///
/// // In flash on a microcontroller: built at compile time, never copied.
/// static LAYER: Linear<3, 2> = Linear::new([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.5, -0.5]);
/// const _: () = assert!(Linear::<3, 2>::PARAM_BYTES <= 1024);
///
/// let x = [[1.0, 2.0, 3.0]];
/// let mut y = [[0.0; 2]];
/// LAYER.forward(&x, &mut y);
/// assert_eq!(y, [[4.5, 4.5]]);
///
/// let mut dx = [[0.0; 3]];
/// let mut grads = Grads::zeroed();
/// LAYER.backward(&x, &[[1.0, 0.0]], &mut dx, &mut grads);
/// assert_eq!(dx, [[1.0, 0.0, 1.0]]);
/// assert_eq!(grads.weight, [[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]]);
/// assert_eq!(grads.bias, [1.0, 0.0]);
/// ```
///
/// A shape mistake is a compile error:
///
/// ```compile_fail
/// let layer = tinylinear::Linear::<4, 3>::zeroed();
/// let mut y = [[0.0f32; 3]; 1];
/// layer.forward(&[[0.0f32; 5]; 1], &mut y); // 5 inputs into a 4-input layer
/// ```
#[derive(Clone, Debug, PartialEq)]
#[repr(C)]
#[cfg_attr(target_pointer_width = "64", repr(align(64)))]
pub struct Linear<const DIN: usize, const DOUT: usize, T: Element = f32> {
    /// The weights W, d_in × d_out: `weight[k][j]` multiplies input `k` into output `j`.
    pub weight: [[T; DOUT]; DIN],
    /// The bias b, added to every row of the output.
    pub bias: [T; DOUT],
}

impl<const DIN: usize, const DOUT: usize, T: Element> Linear<DIN, DOUT, T> {
    shared::ledger_items!(bias: true);

    /// A layer from its weights (d_in × d_out) and bias. `const`, so a
    /// `static` layer is laid out at compile time and lives in flash.
    ///
    /// # Examples
    ///
    /// ```
    /// use tinylinear::Linear;
    /// const IDENTITY: Linear<2, 2, f64> = Linear::new([[1.0, 0.0], [0.0, 1.0]], [0.0; 2]);
    /// assert_eq!(IDENTITY.weight[1][1], 1.0);
    /// ```
    #[must_use]
    pub const fn new(weight: [[T; DOUT]; DIN], bias: [T; DOUT]) -> Self {
        let () = kernel::non_empty::<DIN, DOUT>();
        Self { weight, bias }
    }

    /// A layer whose weights and bias are all zero.
    ///
    /// # Examples
    ///
    /// ```
    /// let layer = tinylinear::Linear::<4, 3>::zeroed();
    /// assert_eq!(layer.bias, [0.0; 3]);
    /// ```
    #[must_use]
    pub const fn zeroed() -> Self {
        Self::new([[T::ZERO; DOUT]; DIN], [T::ZERO; DOUT])
    }

    /// A layer from PyTorch's layout: `weight` is d_out × d_in, as in
    /// `nn.Linear.weight`. This is the one place the crate transposes.
    ///
    /// # Examples
    ///
    /// ```
    /// use tinylinear::Linear;
    /// // nn.Linear(3, 2): weight has shape (2, 3).
    /// const TORCH_WEIGHT: [[f32; 3]; 2] = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
    /// static LAYER: Linear<3, 2> = Linear::from_torch(&TORCH_WEIGHT, &[0.0, 0.0]);
    /// assert_eq!(LAYER.weight, [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]);
    /// ```
    #[must_use]
    pub const fn from_torch(weight: &[[T; DIN]; DOUT], bias: &[T; DOUT]) -> Self {
        Self::new(shared::transpose_from_torch(weight), *bias)
    }

    /// A layer initialised as PyTorch's `nn.Linear` does by default: weight
    /// and bias drawn from `U(−1/√DIN, 1/√DIN)`, here from a seeded PCG32,
    /// so the same seed gives the same layer on every target.
    ///
    /// # Examples
    ///
    /// ```
    /// use tinylinear::Linear;
    /// let layer = Linear::<16, 4>::torch_init(7);
    /// assert_eq!(layer, Linear::<16, 4>::torch_init(7));
    /// assert!(layer.weight.iter().flatten().all(|w| w.abs() <= 0.25));
    /// ```
    #[must_use]
    pub fn torch_init(seed: u64) -> Self {
        let mut layer = Self::zeroed();
        layer.fill_torch_init(seed);
        layer
    }

    /// Re-initialises this layer in place, as [`Linear::torch_init`] would
    /// build it (for layers that live on the heap or in a `static mut` buffer).
    pub fn fill_torch_init(&mut self, seed: u64) {
        shared::fill_torch_init(seed, &mut self.weight, Some(&mut self.bias));
    }

    /// `Y = X·W + b` for a batch of `B` rows.
    ///
    /// The batch `B` is read from `x`: a `y` with another number of rows is
    /// a compile error on `y` ("expected an array with a size of B").
    pub fn forward<const B: usize>(&self, x: &[[T; DIN]; B], y: &mut [[T; DOUT]; B]) {
        kernel::forward(x, &self.weight, Some(&self.bias), y);
    }

    /// `Y = f(X·W + b)`: [`Linear::forward`] with the epilogue `f` (an
    /// activation) fused in, applied to each output as the kernel stores it.
    pub fn forward_with<const B: usize, E: Epilogue<T>>(&self, x: &[[T; DIN]; B], y: &mut [[T; DOUT]; B], epilogue: E) {
        kernel::forward_with(x, &self.weight, Some(&self.bias), y, epilogue);
    }

    /// The backward pass for a batch of `B` rows: writes `dx = dY·Wᵀ` and
    /// **adds** `Xᵀ·dY` into `grads.weight` and `Σ_batch dY` into
    /// `grads.bias`, so that gradients accumulate over micro-batches (as
    /// PyTorch's `.grad` does). Zero `grads` between steps with [`Grads::zero`].
    pub fn backward<const B: usize>(
        &self,
        x: &[[T; DIN]; B],
        dy: &[[T; DOUT]; B],
        dx: &mut [[T; DIN]; B],
        grads: &mut Grads<DIN, DOUT, T>,
    ) {
        shared::backward(x, dy, &self.weight, dx, &mut grads.weight, Some(&mut grads.bias), Update::Accumulate);
    }

    /// The backward pass that **writes** the gradients instead of adding to
    /// them: no zeroing pass, no read of the old values. The form for one
    /// batch per optimiser step.
    pub fn backward_overwrite<const B: usize>(
        &self,
        x: &[[T; DIN]; B],
        dy: &[[T; DOUT]; B],
        dx: &mut [[T; DIN]; B],
        grads: &mut Grads<DIN, DOUT, T>,
    ) {
        shared::backward(x, dy, &self.weight, dx, &mut grads.weight, Some(&mut grads.bias), Update::Overwrite);
    }

    /// [`Linear::forward`] for a batch whose length is known only at run
    /// time. `y` must have as many rows as `x`.
    ///
    /// # Errors
    ///
    /// [`Error::BatchMismatch`] when the lengths differ; `y` is then untouched.
    ///
    /// # Examples
    ///
    /// ```
    /// use tinylinear::Linear;
    /// let layer = Linear::<2, 1>::new([[1.0], [1.0]], [0.0]);
    /// let mut window: heapless::Vec<[f32; 2], 8> = heapless::Vec::new();
    /// window.push([1.0, 2.0]).unwrap();
    /// window.push([3.0, 4.0]).unwrap();
    /// let mut y = [[0.0; 1]; 2];
    /// layer.forward_slice(&window, &mut y)?;
    /// assert_eq!(y, [[3.0], [7.0]]);
    /// # Ok::<(), tinylinear::Error>(())
    /// ```
    pub fn forward_slice(&self, x: &[[T; DIN]], y: &mut [[T; DOUT]]) -> Result<(), Error> {
        shared::forward_slice(x, &self.weight, Some(&self.bias), y)
    }

    /// [`Linear::backward`] (accumulating) for a batch whose length is known
    /// only at run time.
    ///
    /// # Errors
    ///
    /// [`Error::BatchMismatch`] when `dy` or `dx` has another length than
    /// `x`; nothing is written then.
    pub fn backward_slice(
        &self,
        x: &[[T; DIN]],
        dy: &[[T; DOUT]],
        dx: &mut [[T; DIN]],
        grads: &mut Grads<DIN, DOUT, T>,
    ) -> Result<(), Error> {
        shared::backward_slice(x, dy, &self.weight, dx, &mut grads.weight, Some(&mut grads.bias), Update::Accumulate)
    }

    /// [`Linear::backward_overwrite`] for a batch whose length is known only
    /// at run time.
    ///
    /// # Errors
    ///
    /// [`Error::BatchMismatch`] when `dy` or `dx` has another length than
    /// `x`; nothing is written then.
    pub fn backward_overwrite_slice(
        &self,
        x: &[[T; DIN]],
        dy: &[[T; DOUT]],
        dx: &mut [[T; DIN]],
        grads: &mut Grads<DIN, DOUT, T>,
    ) -> Result<(), Error> {
        shared::backward_slice(x, dy, &self.weight, dx, &mut grads.weight, Some(&mut grads.bias), Update::Overwrite)
    }

    /// One plain SGD step: `W −= lr·dW`, `b −= lr·db`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tinylinear::{Grads, Linear};
    /// let mut layer = Linear::<1, 1, f64>::new([[1.0]], [1.0]);
    /// let grads = Grads::new([[2.0]], [4.0]);
    /// layer.sgd_step(&grads, 0.25);
    /// assert_eq!((layer.weight, layer.bias), ([[0.5]], [0.0]));
    /// ```
    pub fn sgd_step(&mut self, grads: &Grads<DIN, DOUT, T>, learning_rate: T) {
        shared::sgd_step(&mut self.weight, &grads.weight, Some((&mut self.bias, &grads.bias)), learning_rate);
    }
}

impl<const DIN: usize, const DOUT: usize, T: Element> Default for Linear<DIN, DOUT, T> {
    fn default() -> Self {
        Self::zeroed()
    }
}

/// The gradients of a [`Linear`] layer: `dW` (d_in × d_out, like the
/// weight) and `db`.
///
/// # Examples
///
/// ```
/// use tinylinear::{Grads, Linear};
/// let layer = Linear::<2, 2>::torch_init(1);
/// let mut grads = Grads::zeroed();
/// let mut dx = [[0.0; 2]; 1];
/// layer.backward(&[[1.0, 1.0]], &[[1.0, 1.0]], &mut dx, &mut grads);
/// layer.backward(&[[1.0, 1.0]], &[[1.0, 1.0]], &mut dx, &mut grads);
/// assert_eq!(grads.bias, [2.0, 2.0]); // accumulated over two calls
/// grads.zero();
/// assert_eq!(grads, Grads::zeroed());
/// ```
#[derive(Clone, Debug, PartialEq)]
#[repr(C)]
#[cfg_attr(target_pointer_width = "64", repr(align(64)))]
pub struct Grads<const DIN: usize, const DOUT: usize, T: Element = f32> {
    /// `dW = Xᵀ·dY`, shaped like [`Linear::weight`].
    pub weight: [[T; DOUT]; DIN],
    /// `db = Σ over the batch of dY`, shaped like [`Linear::bias`].
    pub bias: [T; DOUT],
}

impl<const DIN: usize, const DOUT: usize, T: Element> Grads<DIN, DOUT, T> {
    /// Gradients with the given values.
    #[must_use]
    pub const fn new(weight: [[T; DOUT]; DIN], bias: [T; DOUT]) -> Self {
        let () = kernel::non_empty::<DIN, DOUT>();
        Self { weight, bias }
    }

    /// All-zero gradients, ready to accumulate into.
    #[must_use]
    pub const fn zeroed() -> Self {
        Self::new([[T::ZERO; DOUT]; DIN], [T::ZERO; DOUT])
    }

    /// Sets every gradient to zero in place (PyTorch's `zero_grad`).
    pub fn zero(&mut self) {
        shared::zero(&mut self.weight, Some(&mut self.bias));
    }
}

impl<const DIN: usize, const DOUT: usize, T: Element> Default for Grads<DIN, DOUT, T> {
    fn default() -> Self {
        Self::zeroed()
    }
}
