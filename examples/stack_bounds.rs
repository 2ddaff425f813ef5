//! Checks the ledger's stack bounds on the build it is compiled for: each
//! pass runs on a thread whose stack holds the bound (`FORWARD_STACK_BYTES`,
//! `backward_stack_bytes(B)`) on top of what the same thread needs without
//! the call, and must not run out. Running out of stack aborts a process,
//! so each try runs in a child process: this program started again with
//! the case, the pass and the stack size as arguments.
//!
//! It also finds, a 4 KiB page at a time, the stack each pass needed, and
//! prints it beside the bound. Thread stacks come in whole pages, so a
//! bound is checked to within one: a bound short by less than a page can
//! pass.
//!
//! ```sh
//! cargo run --release --example stack_bounds
//! RUSTFLAGS="-C target-cpu=native" cargo run --release --example stack_bounds
//! ```

use std::hint::black_box;
use std::process::{Command, ExitCode, Stdio};
use tinylinear::{Element, Grads, Linear};

/// A page: thread stacks come in whole ones, so sizes are searched in them.
const PAGE: usize = 4096;

/// What a child process runs on its thread.
#[derive(Clone, Copy, PartialEq)]
enum Pass {
    /// Everything but the call: the buffers, their references, `black_box`.
    Nothing,
    Forward,
    Backward,
    BackwardOverwrite,
}

const PASSES: [(&str, Pass); 4] = [
    ("nothing", Pass::Nothing),
    ("forward", Pass::Forward),
    ("backward", Pass::Backward),
    ("backward_overwrite", Pass::BackwardOverwrite),
];

/// One layer at one batch: its name, its bounds, and how to run a pass.
struct Case {
    name: &'static str,
    forward_bound: u64,
    backward_bound: u64,
    run: fn(Pass),
}

/// Runs `pass` for a `DIN → DOUT` layer at batch `B`, every buffer on the heap.
#[inline(never)]
fn run_pass<T: Element, const B: usize, const DIN: usize, const DOUT: usize>(pass: Pass) {
    let layer = Linear::<DIN, DOUT, T>::boxed_zeroed();
    let mut grads = Grads::<DIN, DOUT, T>::boxed_zeroed();
    let x = vec![[T::ONE; DIN]; B];
    let dy = vec![[T::ONE; DOUT]; B];
    let mut dx = vec![[T::ZERO; DIN]; B];
    let mut y = vec![[T::ZERO; DOUT]; B];
    let (Ok(x), Ok(dy), Ok(dx), Ok(y)) = (
        <&[[T; DIN]; B]>::try_from(x.as_slice()),
        <&[[T; DOUT]; B]>::try_from(dy.as_slice()),
        <&mut [[T; DIN]; B]>::try_from(dx.as_mut_slice()),
        <&mut [[T; DOUT]; B]>::try_from(y.as_mut_slice()),
    ) else {
        unreachable!("each buffer has B rows")
    };
    match black_box(pass) {
        Pass::Nothing => {}
        Pass::Forward => layer.forward(black_box(x), y),
        Pass::Backward => layer.backward(black_box(x), dy, dx, &mut grads),
        Pass::BackwardOverwrite => layer.backward_overwrite(black_box(x), dy, dx, &mut grads),
    }
    black_box((y, dx, &grads));
}

macro_rules! cases {
    ($(($t:ty, $b:literal, $din:literal, $dout:literal)),* $(,)?) => {
        [$(Case {
            name: concat!(stringify!($t), " ", $b, " × ", $din, " → ", $dout),
            forward_bound: Linear::<$din, $dout, $t>::FORWARD_STACK_BYTES,
            backward_bound: Linear::<$din, $dout, $t>::backward_stack_bytes($b),
            run: run_pass::<$t, $b, $din, $dout>,
        }),*]
    };
}

/// Layers and batches that take every path with a block on the stack and
/// several without: packed forward, dX's block of Wᵀ, dW's packed panels
/// (one block of dY and several), the small-batch and batch-1 passes.
const CASES: [Case; 10] = cases![
    (f32, 128, 512, 512),
    (f64, 128, 512, 512),
    (f32, 300, 512, 70),
    (f64, 131, 520, 128),
    (f32, 64, 256, 1024),
    (f32, 16, 64, 4100),
    (f32, 8, 512, 512),
    (f64, 32, 128, 64),
    (f32, 1, 1024, 1024),
    (f64, 3, 7, 13),
];

/// Stack the child's thread fills before the pass: a thread gets at least
/// some minimum whatever it asks for, so without this the passes that need
/// little would all fit that minimum and measure alike.
const PAD: usize = 256 * 1024;

/// In a child: runs case `case`'s `pass` on a thread of `stack` bytes,
/// below [`PAD`] bytes of its own.
fn child(case: usize, pass: Pass, stack: usize) {
    let run = CASES[case].run;
    let thread = std::thread::Builder::new().stack_size(stack).spawn(move || padded(run, pass));
    thread.expect("a thread").join().expect("the pass returns");
}

/// Holds `PAD` bytes of stack while `run` runs `pass`.
#[inline(never)]
fn padded(run: fn(Pass), pass: Pass) {
    let pad = black_box([1u8; PAD]);
    run(pass);
    black_box(&pad);
}

/// Whether case `case`'s `pass` finishes on a thread of `stack` bytes, in a child process.
fn survives(case: usize, pass: &str, stack: usize) -> bool {
    let me = std::env::current_exe().expect("the path of this program");
    Command::new(me)
        .args(["child", &case.to_string(), pass, &stack.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The smallest stack, in whole pages, on which `pass` finishes.
fn least_stack(case: usize, pass: &str) -> usize {
    let (mut fails, mut works) = (0, 64 << 20);
    assert!(survives(case, pass, works), "{}: {pass} fails even on a 64 MiB stack", CASES[case].name);
    while works - fails > PAGE {
        let middle = (fails + works) / 2 / PAGE * PAGE;
        if survives(case, pass, middle) { works = middle } else { fails = middle }
    }
    works
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, case, pass, stack] = args.as_slice()
        && mode == "child"
    {
        let pass = PASSES.iter().find(|(name, _)| name == pass).map(|&(_, p)| p).expect("a pass name");
        child(case.parse().expect("a case"), pass, stack.parse().expect("a stack size"));
        return ExitCode::SUCCESS;
    }

    println!("stack bounds of tinylinear ({}): bytes a pass needs beyond an idle thread", tinylinear::BACKEND);
    println!("{:22} {:>18} {:>9} {:>9}  bound suffices", "T, B × d_in → d_out", "pass", "needed", "bound");
    let mut all_hold = true;
    for (case, layer) in CASES.iter().enumerate() {
        let idle = least_stack(case, "nothing");
        for &(pass, kind) in &PASSES[1..] {
            let bound = if kind == Pass::Forward { layer.forward_bound } else { layer.backward_bound };
            let room = idle + usize::try_from(bound).expect("a bound that fits memory").next_multiple_of(PAGE);
            let holds = survives(case, pass, room);
            let needed = least_stack(case, pass).saturating_sub(idle);
            all_hold &= holds;
            println!("{:22} {:>18} {:>9} {:>9}  {}", layer.name, pass, needed, bound, if holds { "yes" } else { "NO" });
        }
    }
    println!(
        "needed: the least stack found, in whole {PAGE}-byte pages, less that of the same thread without the call"
    );
    if all_hold {
        println!("every pass ran within its bound");
        ExitCode::SUCCESS
    } else {
        println!("FAILED: a pass ran out of stack within its bound");
        ExitCode::FAILURE
    }
}
