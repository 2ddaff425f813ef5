//! The layers: [`Linear`] (`Y = X·W + b`) and the bias-free [`LinearNoBias`]
//! (`Y = X·W`), with their gradient holders [`Grads`] and [`GradsNoBias`].

mod linear;
mod no_bias;
mod shared;

pub use linear::{Grads, Linear};
pub use no_bias::{GradsNoBias, LinearNoBias};
