//! The crate's integration tests, in one binary: every module here shares
//! one build of the library and its kernels, so each CI build of a backend
//! compiles and links the kernels' test instances once.
//!
//! `compile_fail` (trybuild's suite) and `network_no_heap` (which installs a
//! counting global allocator) stay binaries of their own.

// The kernel tests' shapes and batches (`kernel_test_shapes!`), chosen by
// the tile and vector edges they cross on every backend; the kernel's own
// unit tests (`kernel::coverage`) read the same file and assert that they
// reach every path of the build they run on.
include!("../../src/kernel/test_shapes.rs");

mod common;

mod backend;
mod budget;
mod bytes;
mod firmware_model;
mod gradcheck;
mod heap;
mod kernels;
mod layer;
mod ledger;
mod network;
mod properties;
mod quant;
mod quant_tflite;
mod source_rules;
