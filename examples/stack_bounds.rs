//! Checks the ledger's stack bounds on the build it is compiled for: each
//! pass runs with its bound (`FORWARD_STACK_BYTES`,
//! `backward_stack_bytes(B)`, or a network ledger's) left on its thread's
//! stack beyond what the same thread needs without the call, and must not
//! run out. The room is made of whole frames of the pile described below
//! (about a hundred bytes each): the bound rounded up to whole frames, and
//! the idle thread's depth found to within one, give a pass up to two
//! frames more than its bound. Running out of stack aborts a process, so
//! each try runs in a child process: this program started again with the
//! case, the pass and the depth of a pile of frames that takes up the rest
//! of the stack (see `descend`).
//!
//! It also finds the stack each pass needed, to within one of those
//! frames (about a hundred bytes), and prints it beside the bound.
//!
//! ```sh
//! cargo run --release --example stack_bounds
//! RUSTFLAGS="-C target-cpu=native" cargo run --release --example stack_bounds
//! ```

use std::hint::black_box;
use std::process::{Command, ExitCode, Stdio};
use tinylinear::network::{Chain, Dense, Network, PingPong, Relu};
use tinylinear::{Element, Grads, Linear};

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

/// One layer or network at one batch: its name, its bounds, and how to run a pass.
struct Case {
    name: &'static str,
    forward_bound: u64,
    backward_bound: u64,
    /// Whether `backward_overwrite` is a pass of its own (a network's
    /// backward always overwrites, so it has just the one).
    overwrites: bool,
    run: fn(Pass, usize),
}

/// Runs `pass` for a `DIN → DOUT` layer at batch `B` under `depth` frames
/// of [`descend`], every buffer on the heap and made before the descent.
#[inline(never)]
fn run_pass<T: Element, const B: usize, const DIN: usize, const DOUT: usize>(pass: Pass, depth: usize) {
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
    descend(depth, &mut || match black_box(pass) {
        Pass::Nothing => {}
        Pass::Forward => layer.forward(black_box(&*x), &mut *y),
        Pass::Backward => layer.backward(black_box(&*x), dy, &mut *dx, &mut grads),
        Pass::BackwardOverwrite => layer.backward_overwrite(black_box(&*x), dy, &mut *dx, &mut grads),
    });
    black_box((y, dx, &grads));
}

/// A layer's case: `$t`, batch `$b`, `$din → $dout`.
macro_rules! layer_case {
    ($t:ty, $b:literal, $din:literal, $dout:literal) => {
        Case {
            name: concat!(stringify!($t), " ", $b, " × ", $din, " → ", $dout),
            forward_bound: Linear::<$din, $dout, $t>::FORWARD_STACK_BYTES,
            backward_bound: Linear::<$din, $dout, $t>::backward_stack_bytes($b),
            overwrites: true,
            run: run_pass::<$t, $b, $din, $dout>,
        }
    };
}

/// Runs `pass` for the network `N` at batch `B` under `depth` frames of
/// [`descend`], every buffer on the heap and made before the descent: its
/// inference forward, or a training step (the training forward, then the
/// backward), whose bound is the larger of the network's two.
#[inline(never)]
fn run_network<N, const B: usize, const DIN: usize, const W: usize>(pass: Pass, depth: usize)
where
    N: Network<f32, DIN, Output = [f32; 10]>,
{
    let net = Box::new(N::torch_init(1));
    let mut trace = Box::new(N::trace::<B>());
    let mut grads = Box::new(N::grads());
    let mut scratch = Box::new(PingPong::<f32, W, B>::zeroed());
    let x = vec![[1.0; DIN]; B];
    let dy = vec![[1.0; 10]; B];
    let mut y = vec![[0.0; 10]; B];
    let (Ok(x), Ok(dy), Ok(y)) = (
        <&[[f32; DIN]; B]>::try_from(x.as_slice()),
        <&[[f32; 10]; B]>::try_from(dy.as_slice()),
        <&mut [[f32; 10]; B]>::try_from(y.as_mut_slice()),
    ) else {
        unreachable!("each buffer has B rows")
    };
    descend(depth, &mut || match black_box(pass) {
        Pass::Nothing => {}
        Pass::Forward => net.forward(black_box(x), &mut *y, &mut scratch),
        Pass::BackwardOverwrite => unreachable!("a network has no overwriting backward of its own"),
        Pass::Backward => {
            net.forward_train(black_box(x), &mut trace);
            net.backward(x, &mut trace, dy, &mut grads, None);
        }
    });
    black_box((y, &trace, &grads));
}

/// A network's case: its bounds from its ledger at batch `$b`.
macro_rules! network_case {
    ($name:literal, $net:ty, $b:literal, $din:literal) => {{
        const LEDGER: tinylinear::network::NetworkLedger = <$net as Network<f32, $din>>::LEDGER.with_batch($b);
        const FORWARD: u64 = LEDGER.forward_stack_bytes();
        const BACKWARD: u64 = LEDGER.backward_stack_bytes();
        Case {
            name: $name,
            forward_bound: FORWARD,
            backward_bound: if BACKWARD > FORWARD { BACKWARD } else { FORWARD },
            overwrites: false,
            run: run_network::<$net, $b, $din, { <$net as Network<f32, $din>>::SCRATCH_WIDTH }>,
        }
    }};
}

/// A network whose first layer packs in both passes at batch 128.
type Wide = Chain<Dense<512, 512, Relu>, Chain<Dense<512, 256, Relu>, Dense<256, 10>>>;
/// A small one, as in `examples/mlp_ten_lines.rs`.
type Small = Chain<Dense<4, 16, Relu>, Chain<Dense<16, 8, Relu>, Dense<8, 10>>>;

/// Layers and batches that take every path with a block on the stack and
/// several without: packed forward, dX's block of Wᵀ, dW's packed panels
/// (one block of dY and several), the small-batch and batch-1 passes; and
/// two networks, whose calls pass from layer to layer.
const CASES: [Case; 13] = [
    layer_case!(f32, 128, 512, 512),
    layer_case!(f64, 128, 512, 512),
    layer_case!(f32, 300, 512, 70),
    layer_case!(f64, 131, 520, 128),
    layer_case!(f32, 64, 256, 1024),
    layer_case!(f32, 16, 64, 4100),
    layer_case!(f32, 8, 512, 512),
    layer_case!(f64, 32, 128, 64),
    layer_case!(f32, 1, 1024, 1024),
    layer_case!(f64, 3, 7, 13),
    network_case!("net 128 × 512-512-256-10", Wide, 128, 512),
    network_case!("net 1 × 512-512-256-10", Wide, 1, 512),
    network_case!("net 12 × 4-16-8-10", Small, 12, 4),
];

/// The child's thread stack: room for every case's own buffers and its
/// pass under a deep pile of [`descend`] frames.
const STACK: usize = 32 << 20;

/// Bytes of each [`descend`] frame's own array; with the return address
/// and what the call saves, a frame takes somewhat more (see [`frame_bytes`]).
const FRAME: usize = 64;

/// Calls `pass` below `depth` frames of [`descend`]; returns the address
/// of the deepest one's array.
///
/// The frames stand in for stack already used: the deepest pile under
/// which a pass still finishes, against the deepest under which the
/// thread does everything but the pass, tells to within a frame how much
/// stack the pass needs. (Sizing the thread's stack instead counts whole
/// pages, and a thread gets some minimum whatever it asks.)
#[inline(never)]
fn descend(depth: usize, pass: &mut dyn FnMut()) -> usize {
    let frame = black_box([1u8; FRAME]);
    let deepest = if depth == 0 {
        pass();
        core::ptr::from_ref(&frame).addr()
    } else {
        descend(depth - 1, pass)
    };
    black_box(&frame);
    deepest
}

/// Stack bytes one [`descend`] frame takes: the distance between the
/// deepest arrays of piles one frame apart.
fn frame_bytes() -> usize {
    descend(0, &mut || {}) - descend(1, &mut || {})
}

/// In a child: runs case `case`'s `pass` on a thread of [`STACK`] bytes,
/// under `depth` frames of [`descend`].
fn child(case: usize, pass: Pass, depth: usize) {
    let run = CASES[case].run;
    let thread = std::thread::Builder::new().stack_size(STACK).spawn(move || run(pass, depth));
    thread.expect("a thread").join().expect("the pass returns");
}

/// Whether case `case`'s `pass` finishes under `depth` frames, in a child process.
fn survives(case: usize, pass: &str, depth: usize) -> bool {
    let me = std::env::current_exe().expect("the path of this program");
    Command::new(me)
        .args(["child", &case.to_string(), pass, &depth.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The deepest pile of [`descend`] frames under which `pass` finishes.
fn deepest_pile(case: usize, pass: &str, frame: usize) -> usize {
    let (mut works, mut fails) = (0, STACK / frame);
    assert!(survives(case, pass, works), "{}: {pass} fails on a {STACK}-byte stack", CASES[case].name);
    while fails - works > 1 {
        let middle = (works + fails) / 2;
        if survives(case, pass, middle) { works = middle } else { fails = middle }
    }
    works
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, case, pass, depth] = args.as_slice()
        && mode == "child"
    {
        let pass = PASSES.iter().find(|(name, _)| name == pass).map(|&(_, p)| p).expect("a pass name");
        child(case.parse().expect("a case"), pass, depth.parse().expect("a depth"));
        return ExitCode::SUCCESS;
    }

    let frame = frame_bytes();
    println!("stack bounds of tinylinear ({}): bytes a pass needs beyond an idle thread", tinylinear::BACKEND);
    println!("{:24} {:>18} {:>9} {:>9}  bound suffices", "case", "pass", "needed", "bound");
    let mut all_hold = true;
    for (case, layer) in CASES.iter().enumerate() {
        let idle = deepest_pile(case, "nothing", frame);
        for &(pass, kind) in
            PASSES[1..].iter().filter(|&&(_, kind)| layer.overwrites || kind != Pass::BackwardOverwrite)
        {
            let bound = if kind == Pass::Forward { layer.forward_bound } else { layer.backward_bound };
            // Frames enough to make room for the bound, taken off the idle pile.
            let room = usize::try_from(bound).expect("a bound that fits memory").div_ceil(frame);
            let holds = survives(case, pass, idle.saturating_sub(room));
            let needed = idle.saturating_sub(deepest_pile(case, pass, frame)) * frame;
            all_hold &= holds;
            println!("{:24} {:>18} {:>9} {:>9}  {}", layer.name, pass, needed, bound, if holds { "yes" } else { "NO" });
        }
    }
    println!("needed: to within {frame} bytes (one frame of the pile that stands in for stack already used)");
    if all_hold {
        println!("every pass ran within its bound");
        ExitCode::SUCCESS
    } else {
        println!("FAILED: a pass ran out of stack within its bound");
        ExitCode::FAILURE
    }
}
