//! Summarises a run of `cargo bench --bench peers` as one table of median
//! GFLOP/s: a row per pass and shape, a column per implementation.
//!
//! ```text
//! cd bench
//! RUSTFLAGS="-C target-cpu=native" cargo bench --bench peers
//! cargo run --release --example peers_table [-- path/to/target/criterion]
//! ```
//!
//! Criterion's own report prints a confidence interval of the *mean* time
//! per iteration. This table reads the *median* from the JSON criterion
//! leaves in `target/criterion/<group>/<function>/new/` and divides the
//! ledger's FLOP count (the benchmark's throughput) by it. The last column,
//! `tl/best`, is tinylinear's GFLOP/s over the fastest other implementation's
//! (its own accumulating variant and the scalar oracle left out).

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tinylinear::Element;
use tinylinear_bench::{for_each_shape, shape_name};

/// The implementations, in column order, as the bench names them.
const COLUMNS: [&str; 7] =
    ["tinylinear", "tinylinear-accumulate", "reference", "naive", "gemm", "matrixmultiply", "nalgebra"];

/// The peers that `tl/best` compares against.
const PEERS: [&str; 4] = ["naive", "gemm", "matrixmultiply", "nalgebra"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args().nth(1).map_or_else(|| PathBuf::from("target/criterion"), PathBuf::from);
    // (group, function) → median GFLOP/s.
    let mut results = BTreeMap::new();
    collect(&root, &mut results)?;
    if results.is_empty() {
        return Err(
            format!("no criterion results under {}; run `cargo bench --bench peers` first", root.display()).into()
        );
    }

    // Rows in the bench's order: forward then backward, shape by shape.
    let mut shapes = Vec::new();
    for_each_shape!(push_name(&mut shapes));
    let groups: Vec<String> =
        ["forward", "backward"].iter().flat_map(|pass| shapes.iter().map(move |s| format!("{pass}/{s}"))).collect();

    println!("median GFLOP/s (ledger FLOPs / criterion's median time), one thread each");
    print!("{:<29}", "pass/shape");
    for column in COLUMNS {
        print!(" {:>14}", short(column));
    }
    println!(" {:>8}", "tl/best");
    for group in groups.iter().filter(|g| results.keys().any(|(rg, _)| rg == *g)) {
        print!("{group:<29}");
        for column in COLUMNS {
            match results.get(&(group.clone(), column.to_owned())) {
                Some(gflops) => print!(" {gflops:>14.1}"),
                None => print!(" {:>14}", "-"),
            }
        }
        let own = results.get(&(group.clone(), "tinylinear".to_owned()));
        let best =
            PEERS.iter().filter_map(|p| results.get(&(group.clone(), (*p).to_owned()))).copied().reduce(f64::max);
        match (own, best) {
            (Some(own), Some(best)) => println!(" {:>8.2}", own / best),
            _ => println!(" {:>8}", "-"),
        }
    }
    Ok(())
}

fn push_name<T: Element, const B: usize, const DIN: usize, const DOUT: usize>(names: &mut Vec<String>) {
    names.push(shape_name::<T>(B, DIN, DOUT));
}

/// A column heading that fits: `tinylinear-accumulate` is long.
fn short(column: &str) -> &str {
    if column == "tinylinear-accumulate" { "tl-accumulate" } else { column }
}

/// Walks `dir` for criterion's `new/benchmark.json` + `new/estimates.json`
/// pairs and records each benchmark's median GFLOP/s.
fn collect(dir: &Path, results: &mut BTreeMap<(String, String), f64>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|name| name == "new") {
            if let Some((key, gflops)) = read_result(&path) {
                results.insert(key, gflops);
            }
        } else {
            collect(&path, results)?;
        }
    }
    Ok(())
}

/// `((group, function), GFLOP/s)` from one `new/` directory, if it holds a
/// benchmark with an element throughput.
fn read_result(dir: &Path) -> Option<((String, String), f64)> {
    let read = |file: &str| -> Option<Value> {
        let text = std::fs::read_to_string(dir.join(file)).ok()?;
        serde_json::from_str(&text).ok()
    };
    let benchmark = read("benchmark.json")?;
    let estimates = read("estimates.json")?;
    let group = benchmark["group_id"].as_str()?.to_owned();
    let function = benchmark["function_id"].as_str()?.to_owned();
    let flops = benchmark["throughput"]["Elements"].as_f64()?;
    let median_ns = estimates["median"]["point_estimate"].as_f64()?;
    Some(((group, function), flops / median_ns))
}
