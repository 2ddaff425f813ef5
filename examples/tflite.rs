//! Imports a TensorFlow Lite model of chained int8 FULLY_CONNECTED ops: one
//! byte file per layer (the format of `tinylinear::quant`'s byte files), and
//! a Rust file that declares each layer as a `static` baked from them.
//!
//! ```text
//! cargo run --example tflite -- model.tflite out/
//! ```
//!
//! writes `out/layer0.bin`, `out/layer1.bin`, … and `out/model.rs`, which a
//! firmware crate can `include!` or copy: a `static LAYER` for a model of one
//! layer, else `type Net` (a `QChain`) and `static NET`. A model with anything else (another
//! operator, a float or hybrid layer) is refused with the reason.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs, process};

use tinylinear::quant::TfliteModel;

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.as_slice() {
        [model, out] => import(Path::new(model), Path::new(out)),
        _ => Err("usage: tflite MODEL.tflite OUT_DIR".to_owned()),
    };
    match result {
        Ok(summary) => print!("{summary}"),
        Err(message) => {
            eprintln!("tflite: {message}");
            process::exit(2);
        }
    }
}

/// Writes the layer files and `model.rs`; returns what it did, for the terminal.
fn import(model_path: &Path, out: &Path) -> Result<String, String> {
    let bytes = fs::read(model_path).map_err(|e| format!("{}: {e}", model_path.display()))?;
    let model = TfliteModel::parse(&bytes).map_err(|e| format!("{}: {e}", model_path.display()))?;
    fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let name = model_path.file_name().map_or_else(|| "the model".into(), |n| n.to_string_lossy());
    let mut rust = format!(
        "// int8 layers of {name}, imported by `cargo run --example tflite`.\n\
         // Each is TFLite's FULLY_CONNECTED, bit for bit; the files beside this one hold them.\n"
    );
    if model.layer_count() > 1 {
        rust.push_str("\nuse tinylinear::qchain;\nuse tinylinear::quant::{QChain, QLinear};\n\n");
    } else {
        rust.push_str("\nuse tinylinear::quant::QLinear;\n\n");
    }
    let mut statics = Vec::new();
    let mut types = Vec::new();
    let mut summary = String::new();
    for i in 0..model.layer_count() {
        let layer = model.layer(i).map_err(|e| e.to_string())?;
        let mut file = vec![0u8; layer.byte_len()];
        layer.write_le_bytes(&mut file).map_err(|e| e.to_string())?;
        let file_name = format!("layer{i}.bin");
        fs::write(out.join(&file_name), &file).map_err(|e| format!("{file_name}: {e}"))?;
        let (din, dout) = (layer.d_in, layer.d_out);
        let _ = writeln!(
            rust,
            "// FULLY_CONNECTED {i}: {din} → {dout}, weights per {}, {}, fused {:?}.",
            if layer.per_channel() { "channel" } else { "tensor" },
            if layer.has_bias() { "with bias" } else { "no bias" },
            layer.activation,
        );
        statics.push(format!("QLinear::<{din}, {dout}>::from_le_bytes_baked(include_bytes!(\"{file_name}\"))"));
        types.push(format!("QLinear<{din}, {dout}>"));
        let _ = writeln!(summary, "{}: {din} → {dout}, {} bytes", out.join(&file_name).display(), file.len());
    }
    if statics.len() == 1 {
        let _ = write!(rust, "\npub static LAYER: {} =\n    {};\n", types[0], statics[0]);
    } else {
        // QChain<A, QChain<B, C>>, built by qchain!, which checks every link.
        let last = types.len() - 1;
        let net_type = types[..last].iter().rev().fold(types[last].clone(), |rest, t| format!("QChain<{t}, {rest}>"));
        let _ = write!(
            rust,
            "\n/// The model's layers in order; each one's output quantization is the next one's input's.\n\
             pub type Net = {net_type};\n\n\
             pub static NET: Net = qchain![\n    {},\n];\n",
            statics.join(",\n    ")
        );
    }
    let rust_path = out.join("model.rs");
    fs::write(&rust_path, rust).map_err(|e| format!("{}: {e}", rust_path.display()))?;
    let _ = writeln!(summary, "{}: the layers as statics", rust_path.display());
    Ok(summary)
}
