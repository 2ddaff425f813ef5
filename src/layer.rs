//! The layers: [`Linear`] (`Y = X·W + b`) and the bias-free [`LinearNoBias`]
//! (`Y = X·W`), with their gradient holders [`Grads`] and [`GradsNoBias`].

use crate::error::check_batch;
use crate::init::TorchUniform;
use crate::kernel::{self, Epilogue, Update};
use crate::{Element, Error, Ledger};

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
        pub const fn ledger(batch: usize) -> Ledger {
            Ledger::new(DIN, DOUT, batch, $bias, T::BYTES, T::NAME)
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
/// bytes are read and written in vectors that never straddle two lines
/// (measured on an Intel Xeon: with W, dW, X and Y all 16 bytes off a
/// line, the f32 forward at 8 × 512 → 512 ran 28 % slower and batch-1 dW
/// at 256 → 128 26 % slower). The padding this adds is under 64 bytes. On
/// 32-bit targets (firmware) the types are exactly [`Linear::PARAM_BYTES`]
/// long.
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
    ledger_items!(bias: true);

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
        Self::new(transpose_from_torch(weight), *bias)
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
        let mut uniform = TorchUniform::new(seed, DIN);
        uniform.fill(self.weight.as_flattened_mut());
        uniform.fill(&mut self.bias);
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
        self.backward_rows(x, dy, dx, grads, Update::Accumulate);
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
        self.backward_rows(x, dy, dx, grads, Update::Overwrite);
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
        check_batch("y", x.len(), y.len())?;
        kernel::forward(x, &self.weight, Some(&self.bias), y);
        Ok(())
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
        check_backward_batch(x.len(), dy.len(), dx.len())?;
        self.backward_rows(x, dy, dx, grads, Update::Accumulate);
        Ok(())
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
        check_backward_batch(x.len(), dy.len(), dx.len())?;
        self.backward_rows(x, dy, dx, grads, Update::Overwrite);
        Ok(())
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
        sgd_update(self.weight.as_flattened_mut(), grads.weight.as_flattened(), learning_rate);
        sgd_update(&mut self.bias, &grads.bias, learning_rate);
    }

    fn backward_rows(
        &self,
        x: &[[T; DIN]],
        dy: &[[T; DOUT]],
        dx: &mut [[T; DIN]],
        grads: &mut Grads<DIN, DOUT, T>,
        update: Update,
    ) {
        kernel::backward_input_and_weight(x, dy, &self.weight, dx, &mut grads.weight, update);
        kernel::backward_bias(dy, &mut grads.bias, update);
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
        self.weight.as_flattened_mut().fill(T::ZERO);
        self.bias.fill(T::ZERO);
    }
}

impl<const DIN: usize, const DOUT: usize, T: Element> Default for Grads<DIN, DOUT, T> {
    fn default() -> Self {
        Self::zeroed()
    }
}

/// A bias-free fully connected layer `Y = X·W`, as LLaMA-style models use.
///
/// Same storage convention, kernels, ledger and checks as [`Linear`], minus
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
    ledger_items!(bias: false);

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
        Self::new(transpose_from_torch(weight))
    }

    /// PyTorch's default initialisation, `U(−1/√DIN, 1/√DIN)`, from a seed.
    /// The weights equal those of [`Linear::torch_init`] with the same seed.
    #[must_use]
    pub fn torch_init(seed: u64) -> Self {
        let mut layer = Self::zeroed();
        layer.fill_torch_init(seed);
        layer
    }

    /// Re-initialises this layer in place, as [`LinearNoBias::torch_init`] would build it.
    pub fn fill_torch_init(&mut self, seed: u64) {
        TorchUniform::new(seed, DIN).fill(self.weight.as_flattened_mut());
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
        self.backward_rows(x, dy, dx, grads, Update::Accumulate);
    }

    /// Writes `dx = dY·Wᵀ` and **writes** `Xᵀ·dY` into `grads.weight`.
    pub fn backward_overwrite<const B: usize>(
        &self,
        x: &[[T; DIN]; B],
        dy: &[[T; DOUT]; B],
        dx: &mut [[T; DIN]; B],
        grads: &mut GradsNoBias<DIN, DOUT, T>,
    ) {
        self.backward_rows(x, dy, dx, grads, Update::Overwrite);
    }

    /// [`LinearNoBias::forward`] for a run-time batch.
    ///
    /// # Errors
    ///
    /// [`Error::BatchMismatch`] when `y` has another length than `x`; `y` is then untouched.
    pub fn forward_slice(&self, x: &[[T; DIN]], y: &mut [[T; DOUT]]) -> Result<(), Error> {
        check_batch("y", x.len(), y.len())?;
        kernel::forward(x, &self.weight, None, y);
        Ok(())
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
        check_backward_batch(x.len(), dy.len(), dx.len())?;
        self.backward_rows(x, dy, dx, grads, Update::Accumulate);
        Ok(())
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
        check_backward_batch(x.len(), dy.len(), dx.len())?;
        self.backward_rows(x, dy, dx, grads, Update::Overwrite);
        Ok(())
    }

    /// One plain SGD step: `W −= lr·dW`.
    pub fn sgd_step(&mut self, grads: &GradsNoBias<DIN, DOUT, T>, learning_rate: T) {
        sgd_update(self.weight.as_flattened_mut(), grads.weight.as_flattened(), learning_rate);
    }

    fn backward_rows(
        &self,
        x: &[[T; DIN]],
        dy: &[[T; DOUT]],
        dx: &mut [[T; DIN]],
        grads: &mut GradsNoBias<DIN, DOUT, T>,
        update: Update,
    ) {
        kernel::backward_input_and_weight(x, dy, &self.weight, dx, &mut grads.weight, update);
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
        self.weight.as_flattened_mut().fill(T::ZERO);
    }
}

impl<const DIN: usize, const DOUT: usize, T: Element> Default for GradsNoBias<DIN, DOUT, T> {
    fn default() -> Self {
        Self::zeroed()
    }
}

/// `dy` and `dx` must have as many rows as `x`.
const fn check_backward_batch(x_rows: usize, dy_rows: usize, dx_rows: usize) -> Result<(), Error> {
    match check_batch("dy", x_rows, dy_rows) {
        Ok(()) => check_batch("dx", x_rows, dx_rows),
        refused => refused,
    }
}

/// PyTorch's d_out × d_in weight, transposed into the crate's d_in × d_out.
const fn transpose_from_torch<T: Element, const DIN: usize, const DOUT: usize>(
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

/// `params −= learning_rate · grads`, element by element.
fn sgd_update<T: Element>(params: &mut [T], grads: &[T], learning_rate: T) {
    debug_assert_eq!(params.len(), grads.len());
    for (param, &grad) in params.iter_mut().zip(grads) {
        *param -= learning_rate * grad;
    }
}
