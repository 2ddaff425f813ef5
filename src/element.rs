//! The element types a layer can hold: `f32` and `f64`, nothing else.

use core::fmt::{Debug, Display};
use core::ops::{Add, AddAssign, Mul, Neg, Sub, SubAssign};

mod sealed {
    /// Keeps `Element` to `f32` and `f64`, and ties each to its `wide` vector.
    pub trait Sealed: Copy {
        /// The vector the SIMD kernels use for this element type.
        type Vector: crate::kernel::simd::Vector<Self>;
    }
    impl Sealed for f32 {
        type Vector = crate::kernel::backend::F32Vector;
    }
    impl Sealed for f64 {
        type Vector = crate::kernel::backend::F64Vector;
    }
}

pub(crate) use sealed::Sealed;

/// A floating-point element of a layer: implemented for `f32` and `f64` only (sealed).
///
/// The trait carries what the kernels and the ledger need: the constants
/// zero and one, the size in bytes, conversions through `f64`, and the
/// handful of operators the scalar loops use.
///
/// # Examples
///
/// ```
/// use tinylinear::Element;
/// assert_eq!(<f32 as Element>::BYTES, 4);
/// assert_eq!(<f64 as Element>::NAME, "f64");
/// assert_eq!(f32::from_f64(0.5), 0.5f32);
/// ```
pub trait Element:
    sealed::Sealed
    + Copy
    + Default
    + PartialEq
    + PartialOrd
    + Debug
    + Display
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
{
    /// Additive identity, `+0.0`.
    const ZERO: Self;
    /// Multiplicative identity, `1.0`.
    const ONE: Self;
    /// Size of one element in bytes (`p` in the cost formulas of `docs/linear-layer.md`).
    const BYTES: usize;
    /// Machine epsilon: the gap between 1.0 and the next representable value.
    const EPSILON: Self;
    /// The type's name as Rust spells it, for printed ledgers.
    const NAME: &'static str;

    /// Rounds an `f64` to this type (exact for `f64`).
    #[must_use]
    fn from_f64(value: f64) -> Self;

    /// Widens this value to `f64` (always exact).
    #[must_use]
    fn to_f64(self) -> f64;
}

impl Element for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const BYTES: usize = 4;
    const EPSILON: Self = f32::EPSILON;
    const NAME: &'static str = "f32";

    #[inline]
    fn from_f64(value: f64) -> Self {
        value as f32
    }

    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Element for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const BYTES: usize = 8;
    const EPSILON: Self = f64::EPSILON;
    const NAME: &'static str = "f64";

    #[inline]
    fn from_f64(value: f64) -> Self {
        value
    }

    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
}

const _: () = assert!(<f32 as Element>::BYTES == core::mem::size_of::<f32>());
const _: () = assert!(<f64 as Element>::BYTES == core::mem::size_of::<f64>());
