//! The shape ledger: what a layer holds and costs, known before it runs.
//!
//! [`cost`] has the formulas as `const fn`s over plain numbers; [`Ledger`]
//! binds them to one layer shape and one batch size and prints the table of
//! `docs/linear-layer.md` through `core::fmt`, without allocating. Every layer type
//! also exposes the same numbers as associated consts (`Linear::<128, 64>::PARAMS`).
//!
//! # Examples
//!
//! ```
//! use tinylinear::Linear;
//!
//! const LEDGER: tinylinear::Ledger = Linear::<128, 64>::ledger(32);
//! const _: () = assert!(LEDGER.forward_flops() == 524_288);
//! println!("{LEDGER}");
//! ```

pub mod budget;
pub mod cost;
pub(crate) mod format;
pub(crate) mod layer_ledger;

pub use layer_ledger::Ledger;
