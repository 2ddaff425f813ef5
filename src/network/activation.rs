//! Activations: element-wise functions between layers, each with its
//! derivative, each usable as the forward kernel's [`Epilogue`] so that
//! `f(X·W + b)` is computed as the outputs are stored.
//!
//! | type | f(z) | f′(z) |
//! |---|---|---|
//! | [`Identity`] | z | 1 |
//! | [`Relu`] | max(z, 0) | 1 for z > 0, else 0 |
//! | [`Clamp<LO, HI>`](Clamp) ([`Relu6`] = `Clamp<0, 6>`) | z limited to [LO, HI] | 1 for LO < z < HI, else 0 |
//! | [`Gelu`] | ½·z·(1 + tanh(√(2/π)·(z + 0.044715·z³))) | its derivative, from z |
//! | [`Sigmoid`] | 1 / (1 + e⁻ᶻ) | f·(1 − f) |
//! | [`Tanh`] | tanh z | 1 − f² |
//!
//! NaN goes in, NaN comes out, through both the function and its
//! derivative: no activation hides a NaN behind a comparison.

use crate::element::Element;
use crate::kernel::Epilogue;
pub use crate::kernel::Identity;

/// The transcendental functions the smooth activations need, from `libm`
/// (so they are the same on every target, `no_std` included). Implemented
/// for `f32` and `f64`.
///
/// # Examples
///
/// ```
/// use tinylinear::network::Float;
/// assert_eq!(Float::tanh(0.0f32), 0.0);
/// assert_eq!(Float::exp(0.0f64), 1.0);
/// ```
pub trait Float: Element + core::ops::Div<Output = Self> {
    /// `e^self`.
    #[must_use]
    fn exp(self) -> Self;
    /// The hyperbolic tangent of `self`.
    #[must_use]
    fn tanh(self) -> Self;
}

impl Float for f32 {
    #[inline]
    fn exp(self) -> Self {
        libm::expf(self)
    }
    #[inline]
    fn tanh(self) -> Self {
        libm::tanhf(self)
    }
}

impl Float for f64 {
    #[inline]
    fn exp(self) -> Self {
        libm::exp(self)
    }
    #[inline]
    fn tanh(self) -> Self {
        libm::tanh(self)
    }
}

/// An element-wise activation `f` with its derivative.
///
/// [`Epilogue::apply`] is `f` itself, so the forward kernel can fuse it;
/// [`Activation::derivative`] gives `f′(z)` from the pre-activation `z`,
/// which the training trace keeps (GELU's derivative needs `z`; sigmoid and
/// tanh recompute `f(z)` from it).
///
/// # Examples
///
/// ```
/// use tinylinear::kernel::Epilogue;
/// use tinylinear::network::{Activation, Relu};
/// assert_eq!(Relu.apply(-2.0f32), 0.0);
/// assert_eq!(Relu.derivative(3.0f32), 1.0);
/// assert!(Relu.apply(f32::NAN).is_nan());
/// ```
pub trait Activation<T: Element>: Epilogue<T> + Default + core::fmt::Debug {
    /// A short name for printed ledgers.
    const NAME: &'static str;

    /// `f′(z)` at the pre-activation `pre = z`.
    fn derivative(self, pre: T) -> T;
}

impl<T: Element> Activation<T> for Identity {
    const NAME: &'static str = "identity";
    #[inline]
    fn derivative(self, _pre: T) -> T {
        T::ONE
    }
}

/// `f′` of a piecewise-linear activation: 1 inside `(lo, hi)`, 0 outside,
/// NaN for a NaN input (every comparison with NaN is false).
#[inline(always)]
fn step<T: Element>(z: T, lo: T, hi: T) -> T {
    if z > lo && z < hi {
        T::ONE
    } else if z <= lo || z >= hi {
        T::ZERO
    } else {
        z
    }
}

/// The rectifier `max(z, 0)`. `Relu(NaN)` is NaN.
///
/// # Examples
///
/// ```
/// use tinylinear::kernel::Epilogue;
/// use tinylinear::network::Relu;
/// assert_eq!([-1.0f32, 0.5].map(|z| Relu.apply(z)), [0.0, 0.5]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relu;

impl<T: Element> Epilogue<T> for Relu {
    #[inline(always)]
    fn apply(self, value: T) -> T {
        // `max` would turn NaN into 0; this comparison lets it through.
        if value < T::ZERO { T::ZERO } else { value }
    }
}

impl<T: Element> Activation<T> for Relu {
    const NAME: &'static str = "relu";
    #[inline]
    fn derivative(self, pre: T) -> T {
        // f′(0) = 0, as PyTorch takes it.
        if pre > T::ZERO {
            T::ONE
        } else if pre <= T::ZERO {
            T::ZERO
        } else {
            pre
        }
    }
}

/// `z` limited to `[LO, HI]` (integer bounds, as microcontroller kernels
/// fuse them after a quantised layer). [`Relu6`] is `Clamp<0, 6>`.
///
/// # Examples
///
/// ```
/// use tinylinear::kernel::Epilogue;
/// use tinylinear::network::{Activation, Clamp, Relu6};
/// assert_eq!([-1.0f32, 3.0, 9.0].map(|z| Relu6::default().apply(z)), [0.0, 3.0, 6.0]);
/// assert_eq!(Clamp::<-1, 1>.derivative(2.0f64), 0.0);
/// ```
///
/// Bounds the wrong way round do not compile:
///
/// ```compile_fail,E0080
/// use tinylinear::kernel::Epilogue;
/// use tinylinear::network::Clamp;
/// let _ = Clamp::<5, 1>.apply(3.0f32);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clamp<const LO: i32, const HI: i32>;

/// ReLU6, `min(max(z, 0), 6)`: the clamp MobileNet and CMSIS-NN fuse.
pub type Relu6 = Clamp<0, 6>;

impl<const LO: i32, const HI: i32> Clamp<LO, HI> {
    /// Refuses bounds the wrong way round, at compile time.
    const ORDERED: () = assert!(LO <= HI, "Clamp<LO, HI> needs LO <= HI");
}

impl<T: Element, const LO: i32, const HI: i32> Epilogue<T> for Clamp<LO, HI> {
    #[inline(always)]
    fn apply(self, value: T) -> T {
        let () = Self::ORDERED;
        let (lo, hi) = (T::from_f64(f64::from(LO)), T::from_f64(f64::from(HI)));
        if value < lo {
            lo
        } else if value > hi {
            hi
        } else {
            value
        }
    }
}

impl<T: Element, const LO: i32, const HI: i32> Activation<T> for Clamp<LO, HI> {
    const NAME: &'static str = "clamp";
    #[inline]
    fn derivative(self, pre: T) -> T {
        let () = Self::ORDERED;
        step(pre, T::from_f64(f64::from(LO)), T::from_f64(f64::from(HI)))
    }
}

/// √(2/π), GELU's tanh-form constant.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// The cubic coefficient of GELU's tanh form.
const GELU_CUBIC: f64 = 0.044_715;

/// GELU in its tanh form (GPT-2's, PyTorch's `approximate="tanh"`):
/// `½·z·(1 + tanh(√(2/π)·(z + 0.044715·z³)))`.
///
/// # Examples
///
/// ```
/// use tinylinear::kernel::Epilogue;
/// use tinylinear::network::Gelu;
/// assert_eq!(Gelu.apply(0.0f64), 0.0);
/// assert!((Gelu.apply(1.0f64) - 0.841_191_990_608_276_8).abs() < 1e-15);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gelu;

impl<T: Float> Epilogue<T> for Gelu {
    #[inline(always)]
    fn apply(self, value: T) -> T {
        let half = T::from_f64(0.5);
        let inner = T::from_f64(SQRT_2_OVER_PI) * (value + T::from_f64(GELU_CUBIC) * value * value * value);
        half * value * (T::ONE + inner.tanh())
    }
}

impl<T: Float> Activation<T> for Gelu {
    const NAME: &'static str = "gelu";
    #[inline]
    fn derivative(self, pre: T) -> T {
        // d/dz ½z(1 + tanh u) = ½(1 + tanh u) + ½z(1 − tanh²u)·u′,
        // u = c(z + a z³), u′ = c(1 + 3a z²).
        let (half, c, a) = (T::from_f64(0.5), T::from_f64(SQRT_2_OVER_PI), T::from_f64(GELU_CUBIC));
        let z2 = pre * pre;
        let t = (c * (pre + a * z2 * pre)).tanh();
        let du = c * (T::ONE + T::from_f64(3.0) * a * z2);
        half * (T::ONE + t) + half * pre * (T::ONE - t * t) * du
    }
}

/// The logistic function `1 / (1 + e⁻ᶻ)`.
///
/// # Examples
///
/// ```
/// use tinylinear::kernel::Epilogue;
/// use tinylinear::network::{Activation, Sigmoid};
/// assert_eq!(Sigmoid.apply(0.0f32), 0.5);
/// assert_eq!(Sigmoid.derivative(0.0f32), 0.25);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigmoid;

impl<T: Float> Epilogue<T> for Sigmoid {
    #[inline(always)]
    fn apply(self, value: T) -> T {
        T::ONE / (T::ONE + (-value).exp())
    }
}

impl<T: Float> Activation<T> for Sigmoid {
    const NAME: &'static str = "sigmoid";
    #[inline]
    fn derivative(self, pre: T) -> T {
        let out = self.apply(pre);
        out * (T::ONE - out)
    }
}

/// The hyperbolic tangent.
///
/// # Examples
///
/// ```
/// use tinylinear::kernel::Epilogue;
/// use tinylinear::network::{Activation, Tanh};
/// assert_eq!(Tanh.apply(0.0f64), 0.0);
/// assert_eq!(Tanh.derivative(0.0f64), 1.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tanh;

impl<T: Float> Epilogue<T> for Tanh {
    #[inline(always)]
    fn apply(self, value: T) -> T {
        value.tanh()
    }
}

impl<T: Float> Activation<T> for Tanh {
    const NAME: &'static str = "tanh";
    #[inline]
    fn derivative(self, pre: T) -> T {
        let out = self.apply(pre);
        T::ONE - out * out
    }
}
