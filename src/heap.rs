//! Layers too big for any stack, built directly on the heap (`alloc` feature).
//!
//! `Linear<4096, 11008>` is 180 MB. `Box::new(Linear::zeroed())` would build
//! it on the stack first and overflow; these constructors ask the allocator
//! for zeroed memory and never hold the value anywhere else.

// The one `unsafe` of the crate: asserting that zeroed memory is a valid layer.
#![allow(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

use crate::element::Element;
use crate::layer::{Grads, GradsNoBias, Linear, LinearNoBias};
use alloc::boxed::Box;

/// Types for which every byte being zero is a valid value.
///
/// # Safety
///
/// Implement only for types made of `f32`/`f64` arrays and nothing else.
unsafe trait ZeroBitsValid: Sized {}

// SAFETY: each type is a struct of arrays of `T: Element`, which is sealed to
// `f32` and `f64`; the all-zero bit pattern of both is +0.0.
unsafe impl<const DIN: usize, const DOUT: usize, T: Element> ZeroBitsValid for Linear<DIN, DOUT, T> {}
// SAFETY: as above.
unsafe impl<const DIN: usize, const DOUT: usize, T: Element> ZeroBitsValid for Grads<DIN, DOUT, T> {}
// SAFETY: as above.
unsafe impl<const DIN: usize, const DOUT: usize, T: Element> ZeroBitsValid for LinearNoBias<DIN, DOUT, T> {}
// SAFETY: as above.
unsafe impl<const DIN: usize, const DOUT: usize, T: Element> ZeroBitsValid for GradsNoBias<DIN, DOUT, T> {}

/// A heap allocation of zero bytes, typed as `S`; the value never touches the stack.
fn zeroed_box<S: ZeroBitsValid>() -> Box<S> {
    let memory = Box::<S>::new_zeroed();
    // SAFETY: the allocation is zero-filled, and `S: ZeroBitsValid` promises
    // that all-zero bytes are a valid `S`.
    unsafe { memory.assume_init() }
}

impl<const DIN: usize, const DOUT: usize, T: Element> Linear<DIN, DOUT, T> {
    /// A zeroed layer allocated directly on the heap, for layers too big for
    /// the stack.
    ///
    /// # Examples
    ///
    /// ```
    /// use tinylinear::Linear;
    /// // 4 MiB: more than a small thread's whole stack, never copied onto it.
    /// let layer = Linear::<1024, 1024>::boxed_zeroed();
    /// assert_eq!(layer.weight[1023][1023], 0.0);
    /// ```
    #[must_use]
    pub fn boxed_zeroed() -> Box<Self> {
        let () = crate::kernel::non_empty::<DIN, DOUT>();
        zeroed_box()
    }

    /// [`Linear::torch_init`] directly on the heap.
    #[must_use]
    pub fn boxed_torch_init(seed: u64) -> Box<Self> {
        let mut layer = Self::boxed_zeroed();
        layer.fill_torch_init(seed);
        layer
    }
}

impl<const DIN: usize, const DOUT: usize, T: Element> Grads<DIN, DOUT, T> {
    /// Zeroed gradients allocated directly on the heap.
    #[must_use]
    pub fn boxed_zeroed() -> Box<Self> {
        let () = crate::kernel::non_empty::<DIN, DOUT>();
        zeroed_box()
    }
}

impl<const DIN: usize, const DOUT: usize, T: Element> LinearNoBias<DIN, DOUT, T> {
    /// A zeroed bias-free layer allocated directly on the heap.
    #[must_use]
    pub fn boxed_zeroed() -> Box<Self> {
        let () = crate::kernel::non_empty::<DIN, DOUT>();
        zeroed_box()
    }

    /// [`LinearNoBias::torch_init`] directly on the heap.
    #[must_use]
    pub fn boxed_torch_init(seed: u64) -> Box<Self> {
        let mut layer = Self::boxed_zeroed();
        layer.fill_torch_init(seed);
        layer
    }
}

impl<const DIN: usize, const DOUT: usize, T: Element> GradsNoBias<DIN, DOUT, T> {
    /// Zeroed bias-free gradients allocated directly on the heap.
    #[must_use]
    pub fn boxed_zeroed() -> Box<Self> {
        let () = crate::kernel::non_empty::<DIN, DOUT>();
        zeroed_box()
    }
}
