//! Forward and backward throughput of the layer on the kernel path compiled
//! in (`tinylinear::BACKEND`), with criterion's `Throughput` set from the
//! ledger so that reports read in FLOP/s ("elements" = FLOPs).
//!
//! ```text
//! cargo bench --bench layer
//! RUSTFLAGS="-C target-cpu=native" cargo bench --bench layer
//! ```

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tinylinear::{Element, Grads, Linear};

/// Benches forward, backward (overwrite and accumulate) and both together
/// for one shape.
fn bench_shape<T: Element, const B: usize, const DIN: usize, const DOUT: usize>(c: &mut Criterion) {
    let name = format!("{} B={B} {DIN}->{DOUT}", T::NAME);
    let mut group = c.benchmark_group(format!("layer/{}", T::NAME));
    let layer = Linear::<DIN, DOUT, T>::boxed_torch_init(1);
    let mut grads = Grads::<DIN, DOUT, T>::boxed_zeroed();
    let x: Box<[[T; DIN]; B]> = vec![[T::from_f64(0.5); DIN]; B].into_boxed_slice().try_into().unwrap();
    let dy: Box<[[T; DOUT]; B]> = vec![[T::from_f64(0.25); DOUT]; B].into_boxed_slice().try_into().unwrap();
    let mut y: Box<[[T; DOUT]; B]> = vec![[T::ZERO; DOUT]; B].into_boxed_slice().try_into().unwrap();
    let mut dx: Box<[[T; DIN]; B]> = vec![[T::ZERO; DIN]; B].into_boxed_slice().try_into().unwrap();

    group.throughput(Throughput::Elements(Linear::<DIN, DOUT, T>::forward_flops(B)));
    group.bench_function(BenchmarkId::new("forward", &name), |b| {
        b.iter(|| layer.forward(black_box(&x), &mut y));
    });
    group.throughput(Throughput::Elements(Linear::<DIN, DOUT, T>::backward_flops(B)));
    group.bench_function(BenchmarkId::new("backward_overwrite", &name), |b| {
        b.iter(|| layer.backward_overwrite(black_box(&x), black_box(&dy), &mut dx, &mut grads));
    });
    group.bench_function(BenchmarkId::new("backward", &name), |b| {
        b.iter(|| layer.backward(black_box(&x), black_box(&dy), &mut dx, &mut grads));
    });
    group.throughput(Throughput::Elements(Linear::<DIN, DOUT, T>::training_flops(B)));
    group.bench_function(BenchmarkId::new("forward+backward", &name), |b| {
        b.iter(|| {
            layer.forward(black_box(&x), &mut y);
            layer.backward_overwrite(black_box(&x), &y, &mut dx, &mut grads);
        });
    });
    group.finish();
}

fn layers(c: &mut Criterion) {
    eprintln!("tinylinear kernels: {}", tinylinear::BACKEND);
    // (B, DIN, DOUT): the shapes of the kernel issue.
    bench_shape::<f32, 1, 64, 32>(c);
    bench_shape::<f32, 1, 256, 128>(c);
    bench_shape::<f32, 1, 1024, 1024>(c);
    bench_shape::<f32, 8, 512, 512>(c);
    bench_shape::<f32, 32, 128, 64>(c);
    bench_shape::<f32, 64, 256, 256>(c);
    bench_shape::<f32, 128, 512, 512>(c);
    bench_shape::<f64, 32, 128, 64>(c);
    bench_shape::<f64, 64, 256, 256>(c);
}

criterion_group!(benches, layers);
criterion_main!(benches);
