//! Compile-fail tests: each program in `tests/ui/` makes one shape mistake,
//! and its `.stderr` file pins the compiler message a user would see.
//!
//! The `.stderr` snapshots are pinned to the stable toolchain CI uses; other
//! compilers word their errors differently. After a toolchain bump (or a
//! change to the public signatures), regenerate them with
//!
//! ```text
//! TRYBUILD=overwrite cargo test --test compile_fail
//! ```
//!
//! and read the diff before committing it.
//!
//! Set `TINYLINEAR_SKIP_UI` to skip this test on a toolchain whose messages
//! differ from the snapshots (a nightly, a beta); Miri skips it by itself.

#[test]
#[cfg_attr(miri, ignore = "trybuild runs cargo, which Miri cannot")]
fn shape_errors_do_not_compile() {
    if std::env::var_os("TINYLINEAR_SKIP_UI").is_some() {
        eprintln!("TINYLINEAR_SKIP_UI is set: skipping the compile-fail snapshots");
        return;
    }
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
