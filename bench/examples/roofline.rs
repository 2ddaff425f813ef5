//! The roofline of this machine, and where tinylinear's kernels sit under it.
//!
//! ```text
//! cd bench
//! RUSTFLAGS="-C target-cpu=native" cargo run --release --example roofline [-- out.svg]
//! ```
//!
//! 1. **Compute roof**: one core's peak of fused multiply-adds, from a loop
//!    of [`CHAINS`] independent FMA chains on `wide` vectors that never
//!    leaves the registers. An FMA counts 2 FLOPs per lane.
//! 2. **Bandwidth roofs**: the read bandwidth of one core at working sets
//!    that live in L1, L2, L3 and DRAM, summing `f32` arrays with `wide`
//!    vectors.
//! 3. **The kernels**: tinylinear's `forward` and `backward_overwrite` on
//!    every benchmarked shape, timed with `Instant` after a warm-up, and
//!    beside them the same passes by the `gemm` crate (the strongest peer
//!    of `benches/peers.rs`), so that each run shows how close the best
//!    library gets to this machine's peak too. The roofline predicts
//!    `max(FLOPs / peak, bytes / bandwidth)`, with the bandwidth of the
//!    smallest cache level that holds the layer's weights (the ledger's
//!    `PARAM_BYTES`; weights and weight gradient for the backward pass).
//!
//! Every number is the median of its runs. The table goes to stdout and the
//! plot, a log-log roofline in hand-written SVG, to `roofline.svg` (or the
//! path given as the first argument).

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};
use tinylinear::{Element, Grads, Linear};
use tinylinear_bench::peer::{self, gemm_crate};
use tinylinear_bench::{Lined, LinedRows, for_each_shape, median, shape_name};
use wide::{f32x8, f32x16, f64x4, f64x8};

/// Independent FMA chains in the peak loop. A chain issues one FMA per
/// latency (4 cycles on Zen 3/4 and recent Intel cores), and two FMA units
/// need 2 × 4 = 8 in flight; 12 leaves margin and, with the two operands,
/// fits the 16 vector registers of AVX2.
const CHAINS: usize = 12;

/// Runs of each micro-benchmark; the median is reported.
const RUNS: usize = 21;

fn main() -> std::io::Result<()> {
    let svg_path = std::env::args().nth(1).unwrap_or_else(|| "roofline.svg".to_owned());

    println!("tinylinear kernels: {}", tinylinear::BACKEND);
    if tinylinear::BACKEND == "sse2" {
        println!(
            "WARNING: this build has only the x86-64 baseline (SSE2): no AVX, no FMA. The peak and the \
             kernels below are not this CPU's. Rebuild with RUSTFLAGS=\"-C target-cpu=native\"."
        );
    }

    let machine = Machine::measure();
    machine.print();

    let mut rows = Vec::new();
    for_each_shape!(measure_shape(&machine, &mut rows));
    print_table(&rows);

    std::fs::write(&svg_path, svg(&machine, &rows))?;
    println!("\nwrote {svg_path}");
    Ok(())
}

// ---------------------------------------------------------------------------
// The machine: compute peak and bandwidth per memory level
// ---------------------------------------------------------------------------

/// One core's measured roofs.
struct Machine {
    /// FMA peak in GFLOP/s, `f32` and `f64`: the median run, which the
    /// roofline uses, and the best run, for comparison (a median far below
    /// the best says the machine was busy).
    peak_f32: f64,
    peak_f64: f64,
    best_f32: f64,
    best_f64: f64,
    /// Width in bits of the vectors the peak was measured on.
    vector_bits: u32,
    /// Memory levels, fastest first; the last is DRAM.
    levels: Vec<Level>,
}

/// One level of the memory hierarchy and its measured read bandwidth.
struct Level {
    name: &'static str,
    /// Capacity in bytes of the cache (per core, as Linux reports it);
    /// `None` for DRAM.
    capacity: Option<u64>,
    /// The array size the bandwidth was measured on.
    working_set: usize,
    /// Read bandwidth in GB/s (10⁹ bytes per second): the median run, and the best.
    gb_per_s: f64,
    best_gb_per_s: f64,
}

impl Machine {
    fn measure() -> Self {
        println!("\nmeasuring the FMA peak ({CHAINS} chains, median of {RUNS} runs) ...");
        // The peak of the vectors the kernels use: 512-bit ones in AVX-512
        // builds (which on cores with one 512-bit FMA unit, or two 256-bit
        // halves, as Zen 4, measure the same as 256-bit ones).
        let vector_bits = if tinylinear::BACKEND == "avx512" { 512 } else { 256 };
        let ((peak_f32, best_f32), (peak_f64, best_f64)) = (fma_peak::<f32>(vector_bits), fma_peak::<f64>(vector_bits));

        let capacities = cache_capacities();
        let levels = [("L1", 32 << 10), ("L2", 512 << 10), ("L3", 8 << 20), ("DRAM", 256 << 20)]
            .into_iter()
            .enumerate()
            .map(|(index, (name, working_set))| {
                println!("measuring read bandwidth on {} ...", bytes_text(working_set as u64));
                let (gb_per_s, best_gb_per_s) = read_bandwidth(working_set);
                Level { name, capacity: capacities.get(index).copied(), working_set, gb_per_s, best_gb_per_s }
            })
            .collect();
        Self { peak_f32, peak_f64, best_f32, best_f64, vector_bits, levels }
    }

    fn peak<T: Element>(&self) -> f64 {
        if T::BYTES == 4 { self.peak_f32 } else { self.peak_f64 }
    }

    /// GFLOP/s of one short run of the peak loop on the vectors of `T`
    /// that [`Machine::peak`] was measured on.
    fn peak_sample<T: Element>(&self) -> f64 {
        let (seconds, flops) = fma_rounds::<T>(self.vector_bits, TURN_ITERATIONS);
        flops / seconds / 1e9
    }

    /// The smallest level whose capacity holds `resident` bytes (DRAM if none does).
    fn level_holding(&self, resident: u64) -> &Level {
        self.levels.iter().find(|level| level.capacity.is_none_or(|c| resident <= c)).expect("DRAM holds everything")
    }

    fn print(&self) {
        println!("\none core of this machine");
        println!(
            "  FMA peak  f32 {:8.1} GFLOP/s (best run {:.1}; {}-bit vectors)",
            self.peak_f32, self.best_f32, self.vector_bits
        );
        println!("            f64 {:8.1} GFLOP/s (best run {:.1})", self.peak_f64, self.best_f64);
        println!(
            "  {:<5} {:>10} {:>12} {:>10} {:>10} {:>17}",
            "level", "capacity", "working set", "read GB/s", "best run", "f32 ridge FLOP/B"
        );
        for level in &self.levels {
            let capacity = level.capacity.map_or_else(|| "-".to_owned(), bytes_text);
            println!(
                "  {:<5} {:>10} {:>12} {:>10.1} {:>10.1} {:>17.2}",
                level.name,
                capacity,
                bytes_text(level.working_set as u64),
                level.gb_per_s,
                level.best_gb_per_s,
                self.peak_f32 / level.gb_per_s
            );
        }
    }
}

/// The data (or unified) cache sizes of CPU 0, L1 first, from Linux's
/// sysfs; this machine's defaults (32 KiB, 512 KiB, 32 MiB) elsewhere.
fn cache_capacities() -> Vec<u64> {
    let read = |index: u32, file: &str| {
        std::fs::read_to_string(format!("/sys/devices/system/cpu/cpu0/cache/index{index}/{file}"))
            .map(|text| text.trim().to_owned())
    };
    let mut caches: Vec<(u32, u64)> = (0..8)
        .filter_map(|index| {
            let kind = read(index, "type").ok()?;
            if kind == "Instruction" {
                return None;
            }
            let level = read(index, "level").ok()?.parse().ok()?;
            let size = read(index, "size").ok()?;
            let (digits, unit) = size.split_at(size.find(|c: char| !c.is_ascii_digit()).unwrap_or(size.len()));
            let scale = match unit {
                "K" => 1 << 10,
                "M" => 1 << 20,
                "G" => 1 << 30,
                _ => 1,
            };
            Some((level, digits.parse::<u64>().ok()? * scale))
        })
        .collect();
    caches.sort_unstable();
    if caches.len() < 3 {
        return vec![32 << 10, 512 << 10, 32 << 20];
    }
    caches.into_iter().map(|(_, size)| size).collect()
}

/// A `wide` vector the peak loop can run on.
trait Vector: Copy {
    const LANES: usize;
    fn splat(value: f64) -> Self;
    /// `self·m + a`, one fused instruction where the target has FMA.
    fn fma(self, m: Self, a: Self) -> Self;
    fn sum(self) -> f64;
}

/// Implements `Vector` for `wide` types of one element type.
macro_rules! peak_vector {
    ($element:ty: $($vector:ident),*) => {$(
        impl Vector for $vector {
            const LANES: usize = size_of::<$vector>() / size_of::<$element>();
            #[inline(always)]
            fn splat(value: f64) -> Self {
                $vector::splat(value as $element)
            }
            #[inline(always)]
            fn fma(self, m: Self, a: Self) -> Self {
                self.mul_add(m, a)
            }
            fn sum(self) -> f64 {
                f64::from(self.reduce_add())
            }
        }
    )*};
}

peak_vector!(f32: f32x8, f32x16);
peak_vector!(f64: f64x4, f64x8);

/// One core's FMA throughput in GFLOP/s on `vector_bits`-wide vectors of
/// `T`, `(median, best)` of [`RUNS`] runs of a register-resident loop of
/// [`CHAINS`] independent chains `acc = acc·m + a`.
fn fma_peak<T: Element>(vector_bits: u32) -> (f64, f64) {
    const ITERATIONS: usize = 2_000_000;
    let (_, flops) = fma_rounds::<T>(vector_bits, ITERATIONS); // warm-up: lets the clock ramp up
    let mut seconds: Vec<f64> = (0..RUNS).map(|_| fma_rounds::<T>(vector_bits, ITERATIONS).0).collect();
    rates(flops, &mut seconds)
}

/// Seconds and FLOPs of `iterations` rounds of the peak loop on the
/// `vector_bits`-wide `wide` vectors of `T` (512 or 256 bits): the one
/// place that picks the vector type, for the start peak and the samples
/// timed in turns alike.
fn fma_rounds<T: Element>(vector_bits: u32, iterations: usize) -> (f64, f64) {
    fn run<V: Vector>(iterations: usize) -> (f64, f64) {
        (fma_seconds::<V>(iterations), fma_flops::<V>(iterations))
    }
    match (T::BYTES, vector_bits) {
        (4, 512) => run::<f32x16>(iterations),
        (4, _) => run::<f32x8>(iterations),
        (_, 512) => run::<f64x8>(iterations),
        _ => run::<f64x4>(iterations),
    }
}

/// Seconds for `iterations` rounds of the peak loop on vectors `V`.
fn fma_seconds<V: Vector>(iterations: usize) -> f64 {
    // m < 1 and a small keep every chain near a·/(1 − m): no overflow, no
    // subnormals. black_box hides the values from constant folding.
    let (m, a) = (black_box(V::splat(0.999_999)), black_box(V::splat(1e-6)));
    let mut chains = [V::splat(1.0); CHAINS];
    let start = Instant::now();
    for _ in 0..iterations {
        for chain in &mut chains {
            *chain = chain.fma(m, a);
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    black_box(chains.iter().map(|c| c.sum()).sum::<f64>());
    seconds
}

/// FLOPs of `iterations` rounds of the peak loop on vectors `V`.
fn fma_flops<V: Vector>(iterations: usize) -> f64 {
    (iterations * CHAINS * V::LANES * 2) as f64
}

/// Rounds of the peak loop in one sample timed in turns with a pass (see
/// [`time_medians`]): 0.4 ms at 115 GFLOP/s on 512-bit vectors.
const TURN_ITERATIONS: usize = 120_000;

/// `(median, best)` of `amount / seconds` over the runs, in units of 10⁹.
fn rates(amount: f64, seconds: &mut [f64]) -> (f64, f64) {
    let fastest = seconds.iter().copied().fold(f64::INFINITY, f64::min);
    (amount / median(seconds) / 1e9, amount / fastest / 1e9)
}

/// Read bandwidth in GB/s over a `bytes`-byte array, `(median, best)` of
/// runs that each sum the array (again and again for small arrays, 256 MiB in all).
fn read_bandwidth(bytes: usize) -> (f64, f64) {
    const ACCUMULATORS: usize = 8;
    const BYTES_PER_RUN: usize = 256 << 20;
    let vectors = bytes / size_of::<f32x8>();
    assert_eq!(vectors % ACCUMULATORS, 0, "working set must be a multiple of 256 bytes");
    let data = vec![f32x8::splat(1.0); vectors];
    let passes = (BYTES_PER_RUN / bytes).max(1);

    let run = || {
        // Eight independent sums: the adds' latency never limits the loads.
        let mut sums = [f32x8::splat(0.0); ACCUMULATORS];
        let start = Instant::now();
        for _ in 0..passes {
            for chunk in black_box(&data[..]).chunks_exact(ACCUMULATORS) {
                for (sum, &v) in sums.iter_mut().zip(chunk) {
                    *sum += v;
                }
            }
        }
        let seconds = start.elapsed().as_secs_f64();
        black_box(sums);
        seconds
    };
    run(); // warm-up: faults the pages in and fills the caches
    let runs = if bytes >= 64 << 20 { 11 } else { RUNS };
    let mut seconds: Vec<f64> = (0..runs).map(|_| run()).collect();
    rates((passes * bytes) as f64, &mut seconds)
}

// ---------------------------------------------------------------------------
// The kernels on every shape
// ---------------------------------------------------------------------------

/// One measured pass of one shape, with its roofline prediction.
struct Row {
    shape: String,
    elem: &'static str,
    batch: usize,
    din: usize,
    dout: usize,
    pass: &'static str,
    flops: u64,
    /// Memory traffic lower bound in bytes.
    bytes: u64,
    /// The level that holds the weights (and for backward the weight gradient).
    level: &'static str,
    /// The roofline's time: `max(flops / peak, bytes / bandwidth)`, seconds.
    predicted: f64,
    /// Median measured time per call, seconds.
    measured: f64,
    /// The same pass by the `gemm` crate, timed in turns with it: seconds.
    gemm_measured: f64,
    peak_gflops: f64,
    /// The peak loop's median GFLOP/s, timed in turns with the pass.
    peak_in_turns: f64,
}

impl Row {
    fn intensity(&self) -> f64 {
        self.flops as f64 / self.bytes as f64
    }

    fn gflops(&self) -> f64 {
        self.flops as f64 / self.measured / 1e9
    }

    fn gemm_gflops(&self) -> f64 {
        self.flops as f64 / self.gemm_measured / 1e9
    }
}

/// Times `forward` and `backward_overwrite` on `B × DIN → DOUT`, and the
/// same passes by the `gemm` crate on the same values, and adds their rows.
fn measure_shape<T: Element, const B: usize, const DIN: usize, const DOUT: usize>(
    machine: &Machine,
    rows: &mut Vec<Row>,
) {
    let layer = Linear::<DIN, DOUT, T>::boxed_torch_init(1);
    let mut grads = Grads::<DIN, DOUT, T>::boxed_zeroed();
    let x = LinedRows::<T, B, DIN>::signal(2);
    let dy = LinedRows::<T, B, DOUT>::signal(3);
    let mut y = LinedRows::<T, B, DOUT>::zeroed();
    let mut dx = LinedRows::<T, B, DIN>::zeroed();
    let ledger = Linear::<DIN, DOUT, T>::ledger(B);

    // The strongest peer, on the same values seen as flat slices, in
    // buffers that start a cache line as tinylinear's do.
    let (x_flat, w_flat, dy_flat) = (x.as_flattened(), layer.weight.as_flattened(), dy.as_flattened());
    let ones = Lined::filled(B, T::ONE);
    let (mut y_flat, mut dx_flat) = (Lined::zeroed(B * DOUT), Lined::zeroed(B * DIN));
    let (mut dw, mut db) = (Lined::zeroed(DIN * DOUT), Lined::zeroed(DOUT));

    let peak_sample = || machine.peak_sample::<T>();
    let forward = time_medians(
        || layer.forward(black_box(&x), black_box(&mut y)),
        || peer::gemm_forward(gemm_crate, black_box(x_flat), w_flat, &layer.bias, &mut y_flat),
        peak_sample,
    );
    let backward = time_medians(
        || layer.backward_overwrite(black_box(&x), black_box(&dy), black_box(&mut dx), &mut grads),
        || {
            let gradients = (&mut dx_flat[..], &mut dw[..], &mut db[..]);
            peer::gemm_backward(gemm_crate, black_box(x_flat), w_flat, black_box(dy_flat), &ones, gradients);
        },
        peak_sample,
    );

    let mut push = |pass, flops: u64, bytes: u64, resident: u64, (measured, gemm_measured, peak_in_turns)| {
        let level = machine.level_holding(resident);
        let peak = machine.peak::<T>();
        let predicted = (flops as f64 / (peak * 1e9)).max(bytes as f64 / (level.gb_per_s * 1e9));
        rows.push(Row {
            shape: shape_name::<T>(B, DIN, DOUT),
            elem: T::NAME,
            batch: B,
            din: DIN,
            dout: DOUT,
            pass,
            flops,
            bytes,
            level: level.name,
            predicted,
            measured,
            gemm_measured,
            peak_gflops: peak,
            peak_in_turns,
        });
    };
    // Forward reads X, W, b and writes Y: the ledger's traffic bound.
    push("forward", ledger.forward_flops(), ledger.forward_traffic_bytes(), ledger.param_bytes(), forward);
    // Backward reads X, W and dY (dY is Y's size) and writes dX, dW and db:
    // the forward traffic plus one more X (dX) and one more set of
    // parameters (dW, db). Its resident set is W and dW.
    push(
        "backward",
        ledger.backward_flops(),
        ledger.forward_traffic_bytes() + ledger.cached_input_bytes() + ledger.param_bytes(),
        2 * ledger.param_bytes(),
        backward,
    );
}

/// Median seconds per call of `ours` and of `peer`, and the median GFLOP/s
/// of `peak_sample`, a short run of the peak loop, all timed in turns,
/// sample by sample, so that the machine's drift (large on a shared
/// virtual machine) hits the three alike. `ours` and `peer` are first
/// warmed up for at least 3 calls and 50 ms; each of their samples times
/// enough calls to last about a millisecond, far above the clock's
/// resolution; 11 to 51 samples each, about 0.7 s in all.
fn time_medians(mut ours: impl FnMut(), mut peer: impl FnMut(), peak_sample: impl Fn() -> f64) -> (f64, f64, f64) {
    let (ours_call, peer_call) = (warm_up(&mut ours), warm_up(&mut peer));
    let inner = |per_call: f64| (1e-3 / per_call).ceil().max(1.0) as u32;
    let (ours_inner, peer_inner) = (inner(ours_call), inner(peer_call));
    let samples = ((0.3 / (ours_call * f64::from(ours_inner))) as usize).clamp(11, 51);
    let (mut ours_seconds, mut peer_seconds) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
    let mut peak_gflops = Vec::with_capacity(samples);
    for _ in 0..samples {
        ours_seconds.push(time_calls(&mut ours, ours_inner));
        peer_seconds.push(time_calls(&mut peer, peer_inner));
        peak_gflops.push(peak_sample());
    }
    (median(&mut ours_seconds), median(&mut peer_seconds), median(&mut peak_gflops))
}

/// Calls `pass` at least 3 times and for at least 50 ms; returns the mean
/// seconds per call.
fn warm_up(pass: &mut impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut calls = 0u32;
    while calls < 3 || start.elapsed() < Duration::from_millis(50) {
        pass();
        calls += 1;
    }
    start.elapsed().as_secs_f64() / f64::from(calls)
}

/// Mean seconds per call over `calls` back-to-back calls of `pass`.
fn time_calls(pass: &mut impl FnMut(), calls: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..calls {
        pass();
    }
    start.elapsed().as_secs_f64() / f64::from(calls)
}

fn print_table(rows: &[Row]) {
    println!("\ntinylinear ({}) under the roofline, and gemm beside it: medians, one core", tinylinear::BACKEND);
    println!(
        "{:<20} {:<8} {:>12} {:>11} {:>7} {:>5} {:>10} {:>10} {:>8} {:>7} {:>7} {:>7} {:>11} {:>7}",
        "shape",
        "pass",
        "FLOPs",
        "bytes",
        "FLOP/B",
        "W in",
        "roof µs",
        "median µs",
        "GFLOP/s",
        "% peak",
        "% loop",
        "% roof",
        "gemm % peak",
        "× gemm"
    );
    for row in rows {
        println!(
            "{:<20} {:<8} {:>12} {:>11} {:>7.2} {:>5} {:>10.2} {:>10.2} {:>8.1} {:>7.1} {:>7.1} {:>7.1} {:>11.1} {:>7.2}",
            row.shape,
            row.pass,
            row.flops,
            row.bytes,
            row.intensity(),
            row.level,
            row.predicted * 1e6,
            row.measured * 1e6,
            row.gflops(),
            100.0 * row.gflops() / row.peak_gflops,
            100.0 * row.gflops() / row.peak_in_turns,
            100.0 * row.predicted / row.measured,
            100.0 * row.gemm_gflops() / row.peak_gflops,
            row.gemm_measured / row.measured,
        );
    }
    println!("% peak = GFLOP/s / the FMA peak measured at the start of this run.");
    println!("% loop = GFLOP/s / the FMA loop's, run a little at a time in turns with the pass (drift cancels).");
    println!("% roof = roofline time / measured time: the share of the attainable speed reached.");
    println!("gemm = the gemm crate (Parallelism::None) on the same values; × gemm = its time / tinylinear's.");
}

/// `12.5 KiB`, `8 MiB`, `256 MiB`: a byte count in binary units.
fn bytes_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

// ---------------------------------------------------------------------------
// The plot
// ---------------------------------------------------------------------------

/// Maps a value onto a log-scaled pixel axis.
struct LogAxis {
    min: f64,
    max: f64,
    from_px: f64,
    to_px: f64,
}

impl LogAxis {
    /// An axis from `min` to `max`, drawn from pixel `from_px` to `to_px`.
    fn new(min: f64, max: f64, from_px: f64, to_px: f64) -> Self {
        Self { min, max, from_px, to_px }
    }

    fn px(&self, value: f64) -> f64 {
        let t = (value.log10() - self.min.log10()) / (self.max.log10() - self.min.log10());
        self.from_px + t * (self.to_px - self.from_px)
    }

    /// Grid values inside the axis: 1, 2 and 5 times the powers of ten,
    /// each with whether it is a power of ten (drawn darker, labelled).
    fn ticks(&self) -> Vec<(f64, bool)> {
        let (low, high) = (self.min.log10().floor() as i32, self.max.log10().ceil() as i32);
        (low..=high)
            .flat_map(|e| [(1.0, true), (2.0, false), (5.0, false)].map(|(m, major)| (m * 10f64.powi(e), major)))
            .filter(|&(v, _)| (self.min..=self.max).contains(&v))
            .collect()
    }
}

/// A tick label: `0.1`, `1`, `10`, `1000`.
fn tick_text(value: f64) -> String {
    if value >= 1.0 { format!("{value:.0}") } else { format!("{value}") }
}

/// Places point labels greedily where they stay inside the plot and
/// overlap no label placed before and no marker: right of the point, else
/// left, above, below, then further out. Boxes are estimated from the
/// character count (10 px text).
struct Labels {
    /// The plot area, `[left, top, right, bottom]`.
    area: [f64; 4],
    taken: Vec<[f64; 4]>,
}

impl Labels {
    /// Reserves the markers' own squares first, so labels avoid every point.
    fn new(area: [f64; 4], points: &[(f64, f64)]) -> Self {
        Self { area, taken: points.iter().map(|&(x, y)| [x - 6.0, y - 6.0, x + 6.0, y + 6.0]).collect() }
    }

    /// Keeps labels out of `area` (`[left, top, right, bottom]`).
    fn reserve(&mut self, area: [f64; 4]) {
        self.taken.push(area);
    }

    /// The `(x, y)` of the text's start (baseline, left) for a label beside `(px, py)`.
    fn place(&mut self, px: f64, py: f64, text: &str) -> (f64, f64) {
        let (w, h) = (6.4 * text.chars().count() as f64, 10.0);
        let candidates = [
            (px + 8.0, py + 3.5),
            (px - 8.0 - w, py + 3.5),
            (px - w / 2.0, py - 9.0),
            (px - w / 2.0, py + 16.0),
            (px + 8.0, py + 14.5),
            (px + 8.0, py - 7.5),
            (px - 8.0 - w, py + 14.5),
            (px - 8.0 - w, py - 7.5),
        ];
        let fits = |&(x, y): &(f64, f64)| {
            let b = [x, y - h + 1.0, x + w, y + 2.0];
            let a = self.area;
            let inside = a[0] <= b[0] && b[2] <= a[2] && a[1] <= b[1] && b[3] <= a[3];
            inside && self.taken.iter().all(|t| b[2] <= t[0] || t[2] <= b[0] || b[3] <= t[1] || t[3] <= b[1])
        };
        let (x, y) = candidates.iter().copied().find(fits).unwrap_or(candidates[0]);
        self.taken.push([x, y - h + 1.0, x + w, y + 2.0]);
        (x, y)
    }
}

/// The colour of an element type's points: blue for f32, red for f64.
fn colour_of(elem: &str) -> &'static str {
    if elem == "f32" { "#1f5fbf" } else { "#c0392b" }
}

/// A point's marker at `(x, y)`: a circle for forward, a triangle for backward.
fn marker(s: &mut String, pass: &str, colour: &str, x: f64, y: f64) {
    let _ = if pass == "forward" {
        writeln!(s, r#"<circle cx="{x:.1}" cy="{y:.1}" r="5" fill="{colour}"/>"#)
    } else {
        writeln!(
            s,
            r#"<polygon points="{x:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" fill="{colour}"/>"#,
            y - 6.0,
            x - 5.5,
            y + 4.0,
            x + 5.5,
            y + 4.0
        )
    };
}

/// The roofline plot as an SVG document: intensity (FLOP/byte) on x,
/// GFLOP/s on y, both logarithmic; the compute roofs (f32, f64) as
/// horizontal lines, each memory level's bandwidth as a diagonal, and every
/// measured pass as a labelled point (circle: forward, triangle: backward;
/// blue: f32, red: f64).
fn svg(machine: &Machine, rows: &[Row]) -> String {
    const WIDTH: f64 = 1000.0;
    const HEIGHT: f64 = 680.0;
    const LEFT: f64 = 80.0;
    const RIGHT: f64 = 230.0;
    const TOP: f64 = 50.0;
    const BOTTOM: f64 = 60.0;

    let fastest = machine.levels.iter().map(|l| l.gb_per_s).fold(0.0, f64::max);
    let slowest = machine.levels.iter().map(|l| l.gb_per_s).fold(f64::INFINITY, f64::min);
    let min_intensity = rows.iter().map(Row::intensity).fold(machine.peak_f64 / fastest, f64::min);
    let max_intensity = rows.iter().map(Row::intensity).fold(machine.peak_f32 / slowest, f64::max);
    let min_gflops = rows.iter().map(Row::gflops).fold(slowest * min_intensity, f64::min);
    let x = LogAxis::new(min_intensity / 1.5, max_intensity * 1.5, LEFT, WIDTH - RIGHT);
    let y = LogAxis::new(min_gflops / 1.5, machine.peak_f32 * 1.5, HEIGHT - BOTTOM, TOP);

    let mut s = String::new();
    // Writing into a String cannot fail; the results are ignored below.
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="28" font-size="16" text-anchor="middle">tinylinear ({}) on one core: roofline, log-log</text>"#,
        (LEFT + WIDTH - RIGHT) / 2.0,
        tinylinear::BACKEND
    );

    // Grid and axes: decades labelled and darker, 2× and 5× lighter.
    for (tick, major) in x.ticks() {
        let (px, grey) = (x.px(tick), if major { "#ccc" } else { "#eee" });
        let _ =
            writeln!(s, r#"<line x1="{px:.1}" y1="{TOP}" x2="{px:.1}" y2="{:.1}" stroke="{grey}"/>"#, HEIGHT - BOTTOM);
        let _ = writeln!(
            s,
            r#"<text x="{px:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            HEIGHT - BOTTOM + 18.0,
            tick_text(tick)
        );
    }
    for (tick, major) in y.ticks() {
        let (py, grey) = (y.px(tick), if major { "#ccc" } else { "#eee" });
        let _ =
            writeln!(s, r#"<line x1="{LEFT}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="{grey}"/>"#, WIDTH - RIGHT);
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            py + 4.0,
            tick_text(tick)
        );
    }
    let _ = writeln!(
        s,
        r#"<rect x="{LEFT}" y="{TOP}" width="{:.1}" height="{:.1}" fill="none" stroke="black"/>"#,
        WIDTH - RIGHT - LEFT,
        HEIGHT - BOTTOM - TOP
    );
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">arithmetic intensity (FLOP/byte of memory traffic)</text>"#,
        (LEFT + WIDTH - RIGHT) / 2.0,
        HEIGHT - 18.0
    );
    let _ = writeln!(
        s,
        r#"<text transform="translate(22 {:.1}) rotate(-90)" text-anchor="middle">GFLOP/s</text>"#,
        (TOP + HEIGHT - BOTTOM) / 2.0
    );

    // Compute roofs: from the fastest level's ridge to the right edge.
    for (name, peak, dash) in [("f32", machine.peak_f32, ""), ("f64", machine.peak_f64, r#" stroke-dasharray="6 4""#)] {
        let (x1, py) = (x.px(peak / fastest), y.px(peak));
        let _ = writeln!(
            s,
            r#"<line x1="{x1:.1}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="black" stroke-width="2"{dash}/><text x="{:.1}" y="{:.1}">{name} FMA peak {peak:.0} GFLOP/s</text>"#,
            WIDTH - RIGHT,
            WIDTH - RIGHT + 6.0,
            py + 4.0
        );
    }

    // Where the measured passes go; their labels keep clear of the roofs' labels.
    let points: Vec<(f64, f64)> = rows.iter().map(|row| (x.px(row.intensity()), y.px(row.gflops()))).collect();
    let mut labels = Labels::new([LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM], &points);

    // Bandwidth roofs: GFLOP/s = GB/s × intensity, up to the f32 peak.
    let greys = ["#444", "#777", "#999", "#bbb"];
    for (level, grey) in machine.levels.iter().zip(greys.iter().cycle()) {
        let start = x.min.max(y.min / level.gb_per_s);
        let ridge = machine.peak_f32 / level.gb_per_s;
        let (x1, y1) = (x.px(start), y.px(level.gb_per_s * start));
        let (x2, y2) = (x.px(ridge), y.px(machine.peak_f32));
        let _ = writeln!(
            s,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{grey}" stroke-width="2"/>"#
        );
        // The label sits on the line, a little right of where it enters.
        let angle = ((y2 - y1) / (x2 - x1)).atan().to_degrees();
        let (lx, ly) = (x1 + 0.08 * (x2 - x1), y1 + 0.08 * (y2 - y1) - 6.0);
        let text = format!("{} {:.0} GB/s", level.name, level.gb_per_s);
        let _ = writeln!(
            s,
            r#"<text x="{lx:.1}" y="{ly:.1}" fill="{grey}" transform="rotate({angle:.1} {lx:.1} {ly:.1})">{text}</text>"#
        );
        // The rotated text's bounding box (12 px text, about 6.6 px a
        // character; the rise is negative, up the page), for the point
        // labels to avoid.
        let length = 6.6 * text.chars().count() as f64;
        let (run, rise) = (length * angle.to_radians().cos(), length * angle.to_radians().sin());
        labels.reserve([lx, ly + rise - 12.0, lx + run + 12.0, ly + 4.0]);
    }

    // The measured passes: every marker first, then the labels around them.
    for (row, &(px, py)) in rows.iter().zip(&points) {
        marker(&mut s, row.pass, colour_of(row.elem), px, py);
    }
    for (row, &(px, py)) in rows.iter().zip(&points) {
        let pass = if row.pass == "forward" { "fwd" } else { "bwd" };
        let text = format!("{pass} {}×{}→{}", row.batch, row.din, row.dout);
        let (lx, ly) = labels.place(px, py, &text);
        let _ =
            writeln!(s, r#"<text x="{lx:.1}" y="{ly:.1}" font-size="10" fill="{}">{text}</text>"#, colour_of(row.elem));
    }

    // Legend.
    let lx = WIDTH - RIGHT + 10.0;
    let entries = [("f32", "forward"), ("f32", "backward"), ("f64", "forward"), ("f64", "backward")];
    for (i, (elem, pass)) in entries.into_iter().enumerate() {
        let ly = HEIGHT - BOTTOM - 80.0 + 20.0 * i as f64;
        marker(&mut s, pass, colour_of(elem), lx, ly);
        let name = if pass == "forward" { "forward" } else { "backward_overwrite" };
        let _ = writeln!(s, r#"<text x="{:.1}" y="{:.1}">{elem} {name}</text>"#, lx + 12.0, ly + 4.0);
    }
    s.push_str("</svg>\n");
    s
}
