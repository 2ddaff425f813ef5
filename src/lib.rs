//! A fixed-size linear layer whose shapes are types and whose costs are constants.
//!
//! `tinylinear` computes `Y = X·W + b` for a batch X of `B` rows, with the
//! weights stored **d_in × d_out** (`weight[k][j]` links input `k` to output
//! `j`), and its backward pass
//!
//! ```text
//! dW = Xᵀ·dY        db = Σ over the batch (axis 0) of dY        dX = dY·Wᵀ
//! ```
//!
//! on stack arrays, with no heap and no run-time shape checks: `Linear<128, 64>`
//! takes `&[[f32; 128]; B]` and writes `&mut [[f32; 64]; B]`, so a wrong width
//! or a batch mismatch is a compile error. PyTorch's d_out × d_in weights come
//! in through one explicit transpose, [`Linear::from_torch`].
//!
//! # Design
//!
//! - **The layer** ([`Linear`], [`LinearNoBias`], their [`Grads`]) owns plain
//!   arrays in the d_in × d_out layout of `docs/linear-layer.md` and is `const`-constructible, so a
//!   `static` layer sits in flash.
//! - **The ledger** ([`ledger`]) knows what a layer holds and costs —
//!   parameters, bytes, FLOPs, memory traffic, activation memory — as
//!   associated consts and `const fn`s, in `u64` on every target, so a
//!   firmware budget is a `const` assertion:
//!   `const _: () = assert!(Linear::<128, 64>::PARAM_BYTES <= 64 * 1024);`
//! - **The kernels** ([`kernel`]) compute the four equations with
//!   register-tiled micro-kernels over `wide` vectors (AVX-512, AVX2+FMA, SSE2, NEON,
//!   picked at compile time from the target features; build with
//!   `-C target-cpu=native` for the best x86 path). [`kernel::reference`]
//!   holds the plain scalar loops: the oracle every tiled kernel is tested
//!   against, and the path on targets without SIMD. [`BACKEND`] names the
//!   path compiled in.
//! - **The proof** ([`gradcheck`]) is the finite-difference test of `docs/linear-layer.md`,
//!   `no_std` like the rest.
//! - **int8** ([`quant`]): TensorFlow Lite Micro's int8 fully-connected
//!   layer, bit for bit, from the numbers a `.tflite` file stores or from a
//!   trained f32 layer; int8 networks whose links are checked in `const`.
//!
//! # Example
//!
//! ```
//! use tinylinear::{Grads, Linear};
//!
//! let mut layer = Linear::<4, 2>::torch_init(42);
//! let x = [[1.0, 0.0, -1.0, 0.5]; 3];
//! let mut y = [[0.0; 2]; 3];
//! layer.forward(&x, &mut y);
//!
//! let dy = [[1.0, -1.0]; 3]; // ∂L/∂Y from whatever comes next
//! let mut dx = [[0.0; 4]; 3];
//! let mut grads = Grads::zeroed();
//! layer.backward_overwrite(&x, &dy, &mut dx, &mut grads);
//! assert_eq!(grads.bias, [3.0, -3.0]); // summed over the batch of 3
//! layer.sgd_step(&grads, 0.01);
//! ```
//!
//! # Features
//!
//! - *(none, the default)*: `no_std`, no heap. Everything above.
//! - `alloc`: `boxed_zeroed` / `boxed_torch_init` constructors that build
//!   layers too big for any stack (`Linear<4096, 11008>` is 180 MB) directly
//!   on the heap.
//! - `std`: implies `alloc`, and turns on `wide`'s `std` feature (its float
//!   methods through the standard library). Nothing of this crate's own is
//!   behind it.
//!
//! # Numbers
//!
//! NaN and ±∞ propagate as IEEE 754 says: no kernel skips a zero or
//! reorders around a special value. The reference kernels sum in the order
//! their loops state, with separate multiplies and adds.
//!
//! # MSRV
//!
//! Rust 1.92 (for `Box::new_zeroed`, used by the `alloc` constructors). It rises
//! only in a release that changes the minor version (a new 0.y before 1.0),
//! and the changelog says so.

#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::must_use_candidate)]

#[cfg(feature = "alloc")]
extern crate alloc;

pub mod bytes;
mod element;
mod error;
pub mod gradcheck;
#[cfg(feature = "alloc")]
mod heap;
mod init;
pub mod kernel;
mod layer;
pub mod ledger;
pub mod network;
pub mod quant;

pub use element::Element;
pub use error::Error;
pub use kernel::BACKEND;
pub use layer::{Grads, GradsNoBias, Linear, LinearNoBias};
pub use ledger::Ledger;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
