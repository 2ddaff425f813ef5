//! Puts `memory.x` on the linker's search path for `cortex-m-rt`'s `link.x`.

use std::{env, fs, path::PathBuf};

/// The memory map of QEMU's `mps2-an386` (ARM's AN386 FPGA image for the
/// MPS2 board, a Cortex-M4): 4 MiB of code SRAM at 0, used here as flash,
/// and 4 MiB of data SRAM at 0x2000_0000. `src/main.rs` asserts the model
/// fits these in `const`.
const MEMORY: &str = "MEMORY
{
  FLASH : ORIGIN = 0x00000000, LENGTH = 4M
  RAM   : ORIGIN = 0x20000000, LENGTH = 4M
}
";

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("memory.x"), MEMORY).expect("OUT_DIR is writable");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=build.rs");
}
