//! Writes layer files in tinylinear's byte format (see `tinylinear::bytes`),
//! for `Linear::from_le_bytes_baked(include_bytes!(…))` to bake into flash.
//!
//! ```text
//! # numpy arrays (.npy, float32 or float64, C order) -> one layer file:
//! cargo run --example write_weights -- npy --layout torch weight.npy bias.npy layer.bin
//! cargo run --example write_weights -- npy --layout crate weight.npy bias.npy layer.bin
//! cargo run --example write_weights -- npy --layout torch weight.npy - layer.bin   # no bias
//!
//! # the firmware example's classifier, trained here, into a directory:
//! cargo run --example write_weights -- demo examples/firmware/model
//! ```
//!
//! `--layout torch` reads the weight as PyTorch stores it, d_out × d_in
//! (`np.save("weight.npy", linear.weight.detach().numpy())`), and transposes
//! it. `--layout crate` reads d_in × d_out as is. The file always holds the
//! crate's layout, d_in × d_out, so the firmware never transposes.

use std::{env, fs, process};

use tinylinear::{Grads, Linear};

/// The demo classifier's shapes, as in `examples/firmware/src/model.rs`.
const IN: usize = 4;
const HIDDEN: usize = 16;
const CLASSES: usize = 3;
/// Training batch and steps.
const BATCH: usize = 32;
const STEPS: usize = 600;

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["npy", "--layout", layout, weight, bias, out] => npy(layout, weight, bias, out),
        ["demo", dir] => demo(dir),
        _ => Err("usage: write_weights npy --layout torch|crate WEIGHT.npy BIAS.npy|- OUT.bin\n       write_weights demo DIR".into()),
    };
    if let Err(message) = result {
        eprintln!("write_weights: {message}");
        process::exit(2);
    }
}

/// A parsed `.npy` array: its shape, and its values widened to f64, with the element size.
struct Array {
    shape: Vec<usize>,
    values: Vec<f64>,
    elem_bytes: usize,
}

/// Reads a little-endian float32/float64 C-order `.npy` file.
fn read_npy(path: &str) -> Result<Array, String> {
    let data = fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    if data.len() < 10 || &data[..6] != b"\x93NUMPY" {
        return Err(format!("{path}: not a .npy file"));
    }
    let (header_len, start) = match data[6] {
        1 => (u16::from_le_bytes([data[8], data[9]]) as usize, 10),
        2 | 3 => (u32::from_le_bytes(data[8..12].try_into().unwrap()) as usize, 12),
        v => return Err(format!("{path}: .npy version {v} is not supported")),
    };
    let header = std::str::from_utf8(&data[start..start + header_len]).map_err(|_| format!("{path}: bad header"))?;
    let elem_bytes = if header.contains("'<f4'") {
        4
    } else if header.contains("'<f8'") {
        8
    } else {
        return Err(format!("{path}: only little-endian float32/float64 arrays are supported ({header})"));
    };
    if header.contains("'fortran_order': True") {
        return Err(format!("{path}: Fortran-order arrays are not supported; save np.ascontiguousarray(a)"));
    }
    let shape_text = header.split("'shape': (").nth(1).and_then(|s| s.split(')').next()).ok_or("no shape")?;
    let shape: Vec<usize> =
        shape_text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap_or(0)).collect();
    let body = &data[start + header_len..];
    let count: usize = shape.iter().product();
    if body.len() != count * elem_bytes {
        return Err(format!("{path}: {} data bytes for shape {shape:?}", body.len()));
    }
    let values = body
        .chunks_exact(elem_bytes)
        .map(|c| {
            if elem_bytes == 4 {
                f32::from_le_bytes(c.try_into().unwrap()) as f64
            } else {
                f64::from_le_bytes(c.try_into().unwrap())
            }
        })
        .collect();
    Ok(Array { shape, values, elem_bytes })
}

/// One layer file from a weight and an optional bias array.
fn npy(layout: &str, weight: &str, bias: &str, out: &str) -> Result<(), String> {
    let w = read_npy(weight)?;
    let [rows, cols] = w.shape[..] else { return Err(format!("{weight}: the weight must be 2-D, not {:?}", w.shape)) };
    // (d_in, d_out) and the value at W[k][j] in the crate's layout.
    let (din, dout, torch) = match layout {
        "torch" => (cols, rows, true),
        "crate" => (rows, cols, false),
        other => return Err(format!("--layout must be torch or crate, not {other}")),
    };
    let b = if bias == "-" { None } else { Some(read_npy(bias)?) };
    if let Some(b) = &b
        && (b.shape != [dout] || b.elem_bytes != w.elem_bytes)
    {
        return Err(format!("{bias}: expected {dout} values of {} bytes, found {:?}", w.elem_bytes, b.shape));
    }
    let bias_len = if b.is_some() { dout } else { 0 };
    let mut file = tinylinear::bytes::MAGIC.to_vec();
    for field in [w.elem_bytes, din, dout, bias_len] {
        file.extend_from_slice(&u32::try_from(field).map_err(|_| "a dimension exceeds u32")?.to_le_bytes());
    }
    let mut push = |v: f64| {
        if w.elem_bytes == 4 {
            file.extend_from_slice(&(v as f32).to_le_bytes())
        } else {
            file.extend_from_slice(&v.to_le_bytes())
        }
    };
    for k in 0..din {
        for j in 0..dout {
            push(if torch { w.values[j * din + k] } else { w.values[k * dout + j] });
        }
    }
    for &v in b.iter().flat_map(|b| &b.values) {
        push(v);
    }
    fs::write(out, &file).map_err(|e| format!("{out}: {e}"))?;
    eprintln!(
        "wrote {out}: Linear{}<{din}, {dout}, f{}>, {} bytes",
        if b.is_some() { "" } else { "NoBias" },
        w.elem_bytes * 8,
        file.len()
    );
    Ok(())
}

/// A seeded xorshift, so the demo data is the same everywhere.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// The demo task: three classes, each a cloud around its own centre in 4-D.
const CENTRES: [[f32; IN]; CLASSES] = [[1.0, 0.0, 0.0, 0.5], [0.0, 1.0, 0.0, -0.5], [0.0, 0.0, 1.0, 0.0]];

fn relu<const N: usize, const B: usize>(h: &mut [[f32; N]; B]) {
    h.iter_mut().flatten().for_each(|v| *v = v.max(0.0));
}

/// Trains 4 → 16 → 16 → 3 with ReLU on ½‖Y − onehot‖² and writes l1.bin, l2.bin, l3.bin.
fn demo(dir: &str) -> Result<(), String> {
    let mut l1 = Linear::<IN, HIDDEN>::torch_init(11);
    let mut l2 = Linear::<HIDDEN, HIDDEN>::torch_init(12);
    let mut l3 = Linear::<HIDDEN, CLASSES>::torch_init(13);
    let (mut g1, mut g2, mut g3) = (Grads::zeroed(), Grads::zeroed(), Grads::zeroed());
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let rate = 0.1;
    for step in 0..STEPS {
        let mut x = [[0.0f32; IN]; BATCH];
        let mut target = [[0.0f32; CLASSES]; BATCH];
        for (r, (row, t)) in x.iter_mut().zip(&mut target).enumerate() {
            let class = r % CLASSES;
            t[class] = 1.0;
            for (v, c) in row.iter_mut().zip(CENTRES[class]) {
                *v = c + 0.8 * (rng.uniform() - 0.5);
            }
        }
        let (mut h1, mut h2, mut y) = ([[0.0; HIDDEN]; BATCH], [[0.0; HIDDEN]; BATCH], [[0.0; CLASSES]; BATCH]);
        l1.forward(&x, &mut h1);
        relu(&mut h1);
        l2.forward(&h1, &mut h2);
        relu(&mut h2);
        l3.forward(&h2, &mut y);
        let mut dy = [[0.0f32; CLASSES]; BATCH];
        let mut loss = 0.0;
        for ((d, yr), tr) in dy.iter_mut().flatten().zip(y.iter().flatten()).zip(target.iter().flatten()) {
            *d = (yr - tr) / BATCH as f32;
            loss += 0.5 * (yr - tr) * (yr - tr) / BATCH as f32;
        }
        let (mut dh2, mut dh1, mut dx) = ([[0.0; HIDDEN]; BATCH], [[0.0; HIDDEN]; BATCH], [[0.0; IN]; BATCH]);
        l3.backward_overwrite(&h2, &dy, &mut dh2, &mut g3);
        // ReLU passes the gradient where its output was positive.
        dh2.iter_mut().flatten().zip(h2.iter().flatten()).for_each(|(d, h)| *d = if *h > 0.0 { *d } else { 0.0 });
        l2.backward_overwrite(&h1, &dh2, &mut dh1, &mut g2);
        dh1.iter_mut().flatten().zip(h1.iter().flatten()).for_each(|(d, h)| *d = if *h > 0.0 { *d } else { 0.0 });
        l1.backward_overwrite(&x, &dh1, &mut dx, &mut g1);
        l1.sgd_step(&g1, rate);
        l2.sgd_step(&g2, rate);
        l3.sgd_step(&g3, rate);
        if step % 100 == 0 || step + 1 == STEPS {
            eprintln!("step {step:4}: loss {loss:.4}");
        }
    }
    fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
    let write = |name: &str, bytes: Vec<u8>| {
        fs::write(format!("{dir}/{name}"), bytes).map_err(|e| format!("{dir}/{name}: {e}"))
    };
    let mut buf = vec![0u8; Linear::<IN, HIDDEN>::BYTE_LEN];
    l1.write_le_bytes(&mut buf).map_err(|e| e.to_string())?;
    write("l1.bin", buf)?;
    let mut buf = vec![0u8; Linear::<HIDDEN, HIDDEN>::BYTE_LEN];
    l2.write_le_bytes(&mut buf).map_err(|e| e.to_string())?;
    write("l2.bin", buf)?;
    let mut buf = vec![0u8; Linear::<HIDDEN, CLASSES>::BYTE_LEN];
    l3.write_le_bytes(&mut buf).map_err(|e| e.to_string())?;
    write("l3.bin", buf)?;
    eprintln!("wrote {dir}/l1.bin, l2.bin, l3.bin");
    Ok(())
}
