//! tinylinear on a Cortex-M4F (QEMU `mps2-an386`): a classifier whose
//! weights sit in flash, checked against values the host computed, one
//! on-device fine-tuning step of its last layer, the const budgets of the
//! board, and the stack the forward pass really uses.
//!
//! ```text
//! cd examples/firmware && cargo run --release          # exit code 0: every check passed
//! cargo build --release --features no-panic-proof      # links only if no panic is reachable
//! ```
//!
//! It prints the predictions, a checksum of all class scores and the loss
//! before and after the fine-tuning step, and exits 0 only if they equal
//! `src/expected.rs`. That file is written by the main crate's host test
//! `tests/it/firmware_model.rs`, from an f64 computation of the same model that
//! shares none of the crate's kernels. Lines starting with `info:` are
//! measurements that no host can predict (the stack high-water mark).

#![no_std]
#![no_main]

mod expected;
mod model;

use core::hint::black_box;
use core::mem::size_of;

// The critical-section implementation semihosting needs (single core).
use cortex_m as _;
use cortex_m_rt::entry;
use cortex_m_semihosting::debug;
#[cfg(not(feature = "no-panic-proof"))]
use cortex_m_semihosting::{hprint, hprintln};
use tinylinear::Grads;

use model::{CLASSES, HIDDEN, IN, INPUTS, L1, L2, L3, LABELS, SAMPLES};
use model::{First, Head, Second};

/// The board: `build.rs` writes the same numbers into `memory.x`.
const FLASH_BYTES: u64 = 4 * 1024 * 1024;
const RAM_BYTES: u64 = 4 * 1024 * 1024;

/// The model's parameters, in flash.
const MODEL_FLASH_BYTES: u64 = First::PARAM_BYTES + Second::PARAM_BYTES + Head::PARAM_BYTES;
/// The forward chain's activations at batch `SAMPLES`: X, H1, H2 and Y.
const FORWARD_RAM_BYTES: u64 =
    First::forward_ram_bytes(SAMPLES) + Second::output_bytes(SAMPLES) + Head::output_bytes(SAMPLES);
/// Fine-tuning the head adds dY, dX and its gradients (its training RAM less
/// the X and Y the forward already holds), and a RAM copy of the head.
const TRAINING_EXTRA_BYTES: u64 =
    Head::training_ram_bytes(SAMPLES) - Head::forward_ram_bytes(SAMPLES) + Head::PARAM_BYTES;
/// The deepest forward call of the three layers.
const FORWARD_STACK_BYTES: u64 =
    max(max(First::FORWARD_STACK_BYTES, Second::FORWARD_STACK_BYTES), Head::FORWARD_STACK_BYTES);
/// The head's backward call at batch `SAMPLES`.
const BACKWARD_STACK_BYTES: u64 = Head::backward_stack_bytes(SAMPLES);

const fn max(a: u64, b: u64) -> u64 {
    if a > b { a } else { b }
}

// The budget, checked by the compiler: the model fits the flash, and its
// buffers plus the deeper of the two passes' stacks fit the RAM.
const _: () = assert!(MODEL_FLASH_BYTES <= FLASH_BYTES);
const _: () =
    assert!(FORWARD_RAM_BYTES + TRAINING_EXTRA_BYTES + max(FORWARD_STACK_BYTES, BACKWARD_STACK_BYTES) <= RAM_BYTES);
// The ledger's RAM numbers are exactly the buffers below, as the compiler lays them out.
const _: () = assert!(size_of::<Activations>() as u64 == FORWARD_RAM_BYTES);
const _: () = assert!(size_of::<Training>() as u64 == TRAINING_EXTRA_BYTES);

/// The forward chain's buffers (the input X is the `INPUTS` static in flash,
/// counted by the ledger; the struct holds a RAM copy of it).
struct Activations {
    x: [[f32; IN]; SAMPLES],
    h1: [[f32; HIDDEN]; SAMPLES],
    h2: [[f32; HIDDEN]; SAMPLES],
    y: [[f32; CLASSES]; SAMPLES],
}

/// What fine-tuning the head needs besides the activations.
struct Training {
    head: Head,
    dy: [[f32; CLASSES]; SAMPLES],
    dh2: [[f32; HIDDEN]; SAMPLES],
    grads: Grads<HIDDEN, CLASSES>,
}

/// The stack is painted with this word before the forward runs, and again
/// before the backward.
const PAINT: u32 = 0x5A17_C0DE;
/// How far below `main`'s frame the stack is painted.
const PAINT_BYTES: usize = 8 * 1024;
/// Bytes just below `main`'s frame left unpainted, for `paint`'s own frame.
const PAINT_GAP: usize = 16;

/// `hprintln!`, left out of the no-panic proof build: semihosting's
/// output goes through a `RefCell`, whose borrow can panic. The proof
/// covers everything else: the forward, backward and SGD paths and the checks.
macro_rules! say {
    ($($arg:tt)*) => {
        #[cfg(not(feature = "no-panic-proof"))]
        hprintln!($($arg)*);
        #[cfg(feature = "no-panic-proof")]
        let _ = ($($arg)*);
    };
}

/// `hprint!`, left out of the no-panic proof build like `say!`.
macro_rules! say_part {
    ($($arg:tt)*) => {
        #[cfg(not(feature = "no-panic-proof"))]
        hprint!($($arg)*);
        #[cfg(feature = "no-panic-proof")]
        let _ = ($($arg)*);
    };
}

#[entry]
fn main() -> ! {
    let (Some(acts), Some(train)) = (
        cortex_m::singleton!(: Activations = Activations {
            x: [[0.0; IN]; SAMPLES],
            h1: [[0.0; HIDDEN]; SAMPLES],
            h2: [[0.0; HIDDEN]; SAMPLES],
            y: [[0.0; CLASSES]; SAMPLES],
        }),
        cortex_m::singleton!(: Training = Training {
            head: Head::zeroed(),
            dy: [[0.0; CLASSES]; SAMPLES],
            dh2: [[0.0; HIDDEN]; SAMPLES],
            grads: Grads::zeroed(),
        }),
    ) else {
        fail()
    };
    acts.x = INPUTS;
    say!("tinylinear on a Cortex-M4F, kernels: {}", tinylinear::BACKEND);

    // The forward pass, on a painted stack.
    // The bottom of `main`'s frame: the forward's frames grow down from here.
    let top = cortex_m::register::msp::read() as usize;
    paint(top);
    classify(black_box(&L3), acts);
    let used = stack_used(top);

    let mut scores = [0i64; SAMPLES * CLASSES];
    for (q, &s) in scores.iter_mut().zip(acts.y.iter().flatten()) {
        *q = model::quantise(f64::from(s), model::LOGIT_SCALE);
    }
    let checksum = model::checksum(scores.iter().copied());
    let mut predictions = [0usize; SAMPLES];
    for (p, y) in predictions.iter_mut().zip(&acts.y) {
        *p = model::argmax(y);
    }
    say_part!("predictions:");
    for p in predictions {
        say_part!(" {}", p);
    }
    say!("");
    say!("score checksum: {}", checksum);

    // Fine-tune the head: one SGD step, all in static buffers.
    train.head = L3.clone();
    let before = loss_and_gradient(&acts.y, &mut train.dy);
    paint(top);
    backward(&acts.h2, train);
    let backward_used = stack_used(top);
    train.head.sgd_step(&train.grads, model::LEARNING_RATE);
    classify(&train.head, acts);
    let after = loss_and_gradient(&acts.y, &mut train.dy);
    let (before_q, after_q) = (model::quantise(before, model::LOSS_SCALE), model::quantise(after, model::LOSS_SCALE));
    say!("fine-tuning the last layer: loss x1e4 before {}, after {}", before_q, after_q);

    say!("info: forward stack high-water {} bytes, ledger bound {} bytes", used, FORWARD_STACK_BYTES);
    say!("info: backward stack high-water {} bytes, ledger bound {} bytes", backward_used, BACKWARD_STACK_BYTES);
    say!(
        "info: ledger: model flash {} bytes, activations {} bytes, training extra {} bytes",
        MODEL_FLASH_BYTES,
        FORWARD_RAM_BYTES,
        TRAINING_EXTRA_BYTES
    );

    let mut ok = true;
    ok &= check("predictions", predictions == expected::PREDICTIONS);
    ok &= check("score checksum", checksum == expected::SCORE_CHECKSUM);
    ok &= check("loss before", before_q == expected::LOSS_BEFORE);
    ok &= check("loss after", after_q == expected::LOSS_AFTER);
    ok &= check("loss went down", after < before);
    ok &= check("stack within the ledger's bound", used as u64 <= FORWARD_STACK_BYTES);
    ok &= check("backward stack within the ledger's bound", backward_used as u64 <= BACKWARD_STACK_BYTES);
    if ok {
        say!("all checks passed");
        debug::exit(debug::EXIT_SUCCESS);
    }
    fail()
}

/// Prints a failed check; returns whether it passed.
fn check(what: &str, passed: bool) -> bool {
    if !passed {
        say!("FAILED: {}", what);
    }
    passed
}

/// Exits QEMU with code 1.
fn fail() -> ! {
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}

/// The whole forward pass: three layers, ReLU between them.
#[inline(never)]
fn classify(head: &Head, acts: &mut Activations) {
    // Opaque references: with LTO at opt-level 3 the compiler would
    // otherwise fold the small first layer's weights into the code. A real
    // model is read from flash at run time, and so are these.
    let (l1, l2) = black_box((&L1, &L2));
    l1.forward(&acts.x, &mut acts.h1);
    relu(&mut acts.h1);
    l2.forward(&acts.h1, &mut acts.h2);
    relu(&mut acts.h2);
    head.forward(&acts.h2, &mut acts.y);
}

/// The head's backward pass at the batch: dH2 and the gradients, written.
#[inline(never)]
fn backward(h2: &[[f32; HIDDEN]; SAMPLES], train: &mut Training) {
    let Training { head, dy, dh2, grads } = train;
    head.backward_overwrite(h2, dy, dh2, grads);
}

fn relu<const N: usize>(h: &mut [[f32; N]; SAMPLES]) {
    for v in h.iter_mut().flatten() {
        // Not `max`: without VFPv5 that is a call to `fmaxf`.
        if *v < 0.0 {
            *v = 0.0;
        }
    }
}

/// `L = ½ Σ (y − onehot)² / SAMPLES`, in f64, and writes `dY = (y − onehot) / SAMPLES`.
#[inline(never)]
fn loss_and_gradient(y: &[[f32; CLASSES]; SAMPLES], dy: &mut [[f32; CLASSES]; SAMPLES]) -> f64 {
    let mut loss = 0.0f64;
    for ((y_row, dy_row), &label) in y.iter().zip(dy.iter_mut()).zip(&LABELS) {
        for (j, (&y_j, dy_j)) in y_row.iter().zip(dy_row.iter_mut()).enumerate() {
            let target = if j == label { 1.0 } else { 0.0 };
            let error = y_j - target;
            *dy_j = error / SAMPLES as f32;
            loss += 0.5 * f64::from(error) * f64::from(error);
        }
    }
    loss / SAMPLES as f64
}

/// Fills the stack from `PAINT_GAP` to `PAINT_BYTES` below `top` with `PAINT`.
#[inline(never)]
fn paint(top: usize) {
    let mut at = top - PAINT_BYTES;
    while at < top - PAINT_GAP {
        // SAFETY: the addresses lie below `main`'s stack pointer `top`, in
        // the stack region at the top of RAM (8 KiB, far above the
        // few KiB of .data/.bss). No live frame is there: `paint` is a leaf
        // whose own frame, if any, lies in the `PAINT_GAP` bytes left alone.
        unsafe { core::ptr::write_volatile(at as *mut u32, PAINT) };
        at += 4;
    }
}

/// Bytes below `top` that no longer hold `PAINT`: the deepest the stack went
/// (at least `PAINT_GAP`, which is never painted).
#[inline(never)]
fn stack_used(top: usize) -> usize {
    let mut at = top - PAINT_BYTES;
    // SAFETY: the same painted region as in `paint`, read back word by word.
    while at < top && unsafe { core::ptr::read_volatile(at as *const u32) } == PAINT {
        at += 4;
    }
    top - at
}

#[cfg(not(feature = "no-panic-proof"))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("panic: {}", info);
    fail()
}

/// With `no-panic-proof`, a reachable panic fails the link: the handler
/// calls a function that exists nowhere, and LTO removes it only if
/// nothing can panic.
#[cfg(feature = "no-panic-proof")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    unsafe extern "C" {
        fn tinylinear_firmware_a_panic_is_reachable() -> !;
    }
    // SAFETY: never runs; if this handler is reachable, the link fails first.
    unsafe { tinylinear_firmware_a_panic_is_reachable() }
}
