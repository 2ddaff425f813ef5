//! tinylinear's kernels against other Rust implementations of the same
//! math, on the same row-major data, one thread each.
//!
//! ```text
//! cd bench
//! RUSTFLAGS="-C target-cpu=native" cargo bench --bench peers
//! RUSTFLAGS="-C target-cpu=native" cargo bench --bench peers -- --quick "B=32 128->64"
//! ```
//!
//! For every shape of [`for_each_shape!`] two criterion groups run:
//!
//! - `forward/<shape>`: `Y = X·W + b`;
//! - `backward/<shape>`: `dX = dY·Wᵀ`, `dW = Xᵀ·dY`, `db = Σ_batch dY`,
//!   with the gradients written, not added (tinylinear's
//!   `backward_overwrite`, GEMM's beta = 0), plus tinylinear's accumulating
//!   `backward` as `tinylinear-accumulate`.
//!
//! so a report line reads `forward/f32 B=32 128->64/tinylinear`. The
//! throughput is the ledger's FLOP count (`forward_flops`, `backward_flops`:
//! a multiply-add is 2 FLOPs, bias adds and the `db` sum are not counted),
//! so criterion's "elem/s" are FLOP/s. Criterion prints an interval for the
//! mean; `cargo run --release --example peers_table` then tabulates the
//! medians it saved, in GFLOP/s.
//!
//! # The implementations
//!
//! | name | what runs |
//! |---|---|
//! | `tinylinear` | `Linear::forward`, `Linear::backward_overwrite` (the compiled-in `BACKEND`) |
//! | `reference` | `tinylinear::kernel::reference`, the scalar oracle, with `Update::Overwrite` |
//! | `naive` | the loops below, over flat `Vec`s with run-time widths, left to LLVM's auto-vectoriser |
//! | `gemm` | the `gemm` crate, `Parallelism::None` |
//! | `matrixmultiply` | `sgemm` / `dgemm` (its default build is single-threaded) |
//! | `nalgebra` | heap-boxed static `SMatrix`es and nalgebra's own BLAS-like `gemm` / `gemm_tr` |
//!
//! # One layout for everyone
//!
//! All data is tinylinear's: X is B × d_in, W is d_in × d_out, Y and dY are
//! B × d_out, all **row-major**. `gemm` and `matrixmultiply` take a row and
//! a column stride per operand, so each transpose in the backward equations
//! is the same buffer with its strides swapped ([`View::t`]): nothing is
//! copied. nalgebra is column-major; see [`Nalgebra`] for how its products
//! are written on the very same bytes.
//!
//! # The bias
//!
//! Every peer adds the bias the same way tinylinear's reference does: Y is
//! first filled with b, row by row, and the product is then accumulated onto
//! it (GEMM's beta = 1). `db` is a GEMM too for `gemm` and `matrixmultiply`
//! (`db = 1ᵀ·dY`, with a row of B ones), nalgebra's `column_sum` for
//! nalgebra, and a loop for `naive`.
//!
//! # The correctness guard
//!
//! Before a shape is timed, every implementation runs once and its Y, dX,
//! dW and db are compared with tinylinear's: each element must lie within
//! `TOLERANCE ×` the largest magnitude of tinylinear's output (1e-4 in f32,
//! 1e-10 in f64), or the bench panics. A transposed or mis-strided peer
//! cannot pass, since the inputs are irregular ([`fill_signal`]).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nalgebra::{Const, MatrixView, SMatrix, SVector};
use std::hint::black_box;
use std::time::Duration;
use tinylinear::kernel::{Update, reference};
use tinylinear::{Element, Grads, Linear};
use tinylinear_bench::peer::{self, Gemm, View, gemm_crate, product_dims};
use tinylinear_bench::{Lined, LinedRows, fill_signal, for_each_shape, shape_name};

// ---------------------------------------------------------------------------
// Element types
// ---------------------------------------------------------------------------

/// What the peers need of an element type beyond tinylinear's [`Element`].
trait Float: Element + nalgebra::RealField + bytemuck::Zeroable {
    /// The guard's tolerance, relative to the largest magnitude of an output.
    const TOLERANCE: f64;

    /// `C = A·B` (`accumulate == false`) or `C += A·B` by matrixmultiply's
    /// `sgemm` / `dgemm`, C row-major.
    fn matrixmultiply(c: &mut [Self], accumulate: bool, a: View<'_, Self>, b: View<'_, Self>);
}

/// Implements [`Float`] for one type with its matrixmultiply entry point.
macro_rules! impl_float {
    ($t:ty, $tolerance:expr, $mm_gemm:path) => {
        impl Float for $t {
            const TOLERANCE: f64 = $tolerance;

            fn matrixmultiply(c: &mut [Self], accumulate: bool, a: View<'_, Self>, b: View<'_, Self>) {
                let (m, k, n) = product_dims(c, a, b);
                let beta = if accumulate { 1.0 } else { 0.0 };
                // SAFETY: `product_dims` checked that every element either
                // view addresses lies inside its slice and that `c` holds
                // m × n elements, which the strides (n, 1) address row by row.
                unsafe {
                    $mm_gemm(
                        m,
                        k,
                        n,
                        1.0,
                        a.data.as_ptr(),
                        a.row_stride(),
                        a.col_stride(),
                        b.data.as_ptr(),
                        b.row_stride(),
                        b.col_stride(),
                        beta,
                        c.as_mut_ptr(),
                        n as isize,
                        1,
                    )
                }
            }
        }
    };
}

impl_float!(f32, 1e-4, matrixmultiply::sgemm);
impl_float!(f64, 1e-10, matrixmultiply::dgemm);

// ---------------------------------------------------------------------------
// The naive loops
// ---------------------------------------------------------------------------

/// Plain Rust over flat row-major slices with run-time widths, the way one
/// would write it without a library. LLVM vectorises the inner loops; it
/// does not fuse the multiply and add (Rust never contracts to FMA).
mod naive {
    use tinylinear::Element;

    /// `Y = X·W + b` in i-k-j order: for each row, start from b and add
    /// `x[k]·W[k][..]` for every k. The inner loop runs along a row of W
    /// and a row of Y, both contiguous.
    pub fn forward<T: Element>(x: &[T], w: &[T], b: &[T], y: &mut [T]) {
        let dout = b.len();
        let din = w.len() / dout;
        for (x_row, y_row) in x.chunks_exact(din).zip(y.chunks_exact_mut(dout)) {
            y_row.copy_from_slice(b);
            for (&x_k, w_row) in x_row.iter().zip(w.chunks_exact(dout)) {
                for (y_j, &w_kj) in y_row.iter_mut().zip(w_row) {
                    *y_j += x_k * w_kj;
                }
            }
        }
    }

    /// `dX = dY·Wᵀ`. The i-k-j order would walk a column of W (stride
    /// d_out) in its inner loop, which does not vectorise; so each
    /// `dX[r][i]` is the dot product of two contiguous rows, `dY[r][..]`
    /// and `W[i][..]`, summed in [`dot`]'s lanes.
    pub fn backward_input<T: Element>(dy: &[T], w: &[T], dx: &mut [T], dout: usize) {
        let din = w.len() / dout;
        for (dy_row, dx_row) in dy.chunks_exact(dout).zip(dx.chunks_exact_mut(din)) {
            for (dx_i, w_row) in dx_row.iter_mut().zip(w.chunks_exact(dout)) {
                *dx_i = dot(dy_row, w_row);
            }
        }
    }

    /// `dW = Xᵀ·dY`, written, in i-k-j order: row i of dW is
    /// `Σ_r X[r][i]·dY[r][..]`, the inner loop along rows of dY and dW.
    pub fn backward_weight<T: Element>(x: &[T], dy: &[T], dw: &mut [T], dout: usize) {
        let din = dw.len() / dout;
        for (i, dw_row) in dw.chunks_exact_mut(dout).enumerate() {
            dw_row.fill(T::ZERO);
            for (x_row, dy_row) in x.chunks_exact(din).zip(dy.chunks_exact(dout)) {
                let x_ri = x_row[i];
                for (dw_ij, &dy_rj) in dw_row.iter_mut().zip(dy_row) {
                    *dw_ij += x_ri * dy_rj;
                }
            }
        }
    }

    /// `db = Σ over the batch of dY`, written: rows of dY added in turn.
    pub fn backward_bias<T: Element>(dy: &[T], db: &mut [T]) {
        db.fill(T::ZERO);
        for dy_row in dy.chunks_exact(db.len()) {
            for (db_j, &dy_j) in db.iter_mut().zip(dy_row) {
                *db_j += dy_j;
            }
        }
    }

    /// A dot product in `LANES` independent partial sums. A single running
    /// sum does not vectorise: LLVM may not reassociate float additions.
    /// Separate lanes make the reassociation explicit, and the lane array
    /// becomes two or four vector registers.
    fn dot<T: Element>(a: &[T], b: &[T]) -> T {
        const LANES: usize = 16;
        let mut lanes = [T::ZERO; LANES];
        let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
        let (a_rest, b_rest) = (a_chunks.remainder(), b_chunks.remainder());
        for (a_chunk, b_chunk) in a_chunks.zip(b_chunks) {
            for ((lane, &a_l), &b_l) in lanes.iter_mut().zip(a_chunk).zip(b_chunk) {
                *lane += a_l * b_l;
            }
        }
        let mut sum = lanes.iter().fold(T::ZERO, |sum, &lane| sum + lane);
        for (&a_l, &b_l) in a_rest.iter().zip(b_rest) {
            sum += a_l * b_l;
        }
        sum
    }
}

// ---------------------------------------------------------------------------
// nalgebra
// ---------------------------------------------------------------------------

/// The layer and its data as nalgebra static matrices, boxed (the largest
/// is 4 MiB).
///
/// nalgebra stores matrices column-major, and a row-major `R × C` buffer is,
/// byte for byte, the column-major `C × R` matrix: its transpose. So each
/// row-major operand P is held as the nalgebra matrix `Pn = Pᵀ`, with the
/// same bytes as tinylinear's, and the equations are transposed to match:
///
/// | tinylinear | nalgebra, on the transposes | call |
/// |---|---|---|
/// | `Y = X·W + b` | `Yn = Wn·Xn + b` per column | `y.gemm(1, w, x, 1)` onto columns filled with b |
/// | `dX = dY·Wᵀ` | `dXn = Wnᵀ·dYn` | `dx.gemm_tr(1, w, dy, 0)` |
/// | `dW = Xᵀ·dY` | `dWn = dYn·Xnᵀ` | `dw.gemm(1, dy, Xnᵀ, 0)` |
/// | `db = Σ_r dY[r]` | `dbn = Σ_columns dYn` | `dy.column_sum()` |
///
/// nalgebra has no `A·Bᵀ` product, so `Xnᵀ` is a stride-swapped
/// `MatrixView` of Xn's storage (no copy), still with static shape and
/// strides. Each `gemm` on static shapes runs nalgebra's own column-by-column
/// loops; only dynamic shapes are handed to matrixmultiply.
struct Nalgebra<T: Float, const B: usize, const DIN: usize, const DOUT: usize> {
    /// `Xᵀ`, d_in × B.
    x: Box<SMatrix<T, DIN, B>>,
    /// `Wᵀ`, d_out × d_in.
    w: Box<SMatrix<T, DOUT, DIN>>,
    b: Box<SVector<T, DOUT>>,
    /// `dYᵀ`, d_out × B.
    dy: Box<SMatrix<T, DOUT, B>>,
    /// `Yᵀ`, d_out × B.
    y: Box<SMatrix<T, DOUT, B>>,
    /// `dXᵀ`, d_in × B.
    dx: Box<SMatrix<T, DIN, B>>,
    /// `dWᵀ`, d_out × d_in.
    dw: Box<SMatrix<T, DOUT, DIN>>,
    db: Box<SVector<T, DOUT>>,
}

/// A static matrix on the heap holding `from` in storage (column-major)
/// order. bytemuck's `zeroed_box` asks the allocator for zeroed memory, so
/// the matrix, up to 4 MiB here, never sits on the stack.
fn boxed_matrix<T: Float, const R: usize, const C: usize>(from: &[T]) -> Box<SMatrix<T, R, C>> {
    let mut matrix: Box<SMatrix<T, R, C>> = bytemuck::zeroed_box();
    matrix.as_mut_slice().copy_from_slice(from);
    matrix
}

impl<T: Float, const B: usize, const DIN: usize, const DOUT: usize> Nalgebra<T, B, DIN, DOUT> {
    /// Copies the row-major data byte for byte: the nalgebra matrices are
    /// the transposes (see the type's docs).
    fn new(data: &Flat<T>) -> Self {
        Self {
            x: boxed_matrix(&data.x),
            w: boxed_matrix(&data.w),
            b: boxed_matrix(&data.b),
            dy: boxed_matrix(&data.dy),
            y: bytemuck::zeroed_box(),
            dx: bytemuck::zeroed_box(),
            dw: bytemuck::zeroed_box(),
            db: bytemuck::zeroed_box(),
        }
    }

    fn forward(&mut self) {
        for mut column in self.y.column_iter_mut() {
            column.copy_from(&*self.b);
        }
        self.y.gemm(T::ONE, &*self.w, &*self.x, T::ONE);
    }

    fn backward(&mut self) {
        self.dx.gemm_tr(T::ONE, &*self.w, &*self.dy, T::ZERO);
        // Xnᵀ (B × d_in): element (r, i) is Xn(i, r), at r·d_in + i.
        let x_t = MatrixView::from_slice_with_strides_generic(
            self.x.as_slice(),
            Const::<B>,
            Const::<DIN>,
            Const::<DIN>,
            Const::<1>,
        );
        self.dw.gemm(T::ONE, &*self.dy, &x_t, T::ZERO);
        *self.db = self.dy.column_sum();
    }
}

// ---------------------------------------------------------------------------
// One shape's data and every implementation's pass over it
// ---------------------------------------------------------------------------

/// Flat row-major copies of the inputs, and output buffers, for the peers.
struct Flat<T> {
    x: Lined<T>,
    w: Lined<T>,
    b: Lined<T>,
    dy: Lined<T>,
    /// B ones: `db = 1ᵀ·dY` as a GEMM.
    ones: Lined<T>,
    y: Lined<T>,
    dx: Lined<T>,
    dw: Lined<T>,
    db: Lined<T>,
}

/// Everything one shape needs: tinylinear's typed buffers (heap-built), the
/// peers' flat copies of the same values, and nalgebra's matrices.
struct Case<T: Float, const B: usize, const DIN: usize, const DOUT: usize> {
    layer: Box<Linear<DIN, DOUT, T>>,
    grads: Box<Grads<DIN, DOUT, T>>,
    x: LinedRows<T, B, DIN>,
    dy: LinedRows<T, B, DOUT>,
    y: LinedRows<T, B, DOUT>,
    dx: LinedRows<T, B, DIN>,
    flat: Flat<T>,
    nalgebra: Nalgebra<T, B, DIN, DOUT>,
}

impl<T: Float, const B: usize, const DIN: usize, const DOUT: usize> Case<T, B, DIN, DOUT> {
    fn new() -> Self {
        let mut layer = Linear::<DIN, DOUT, T>::boxed_torch_init(1);
        // torch_init's bias is tiny next to X·W; a full-range bias makes the
        // guard sensitive to a missing or misplaced bias add.
        fill_signal(&mut layer.bias, 4);
        let x = LinedRows::<T, B, DIN>::signal(2);
        let dy = LinedRows::<T, B, DOUT>::signal(3);
        let flat = Flat {
            x: Lined::copied(x.as_flattened()),
            w: Lined::copied(layer.weight.as_flattened()),
            b: Lined::copied(&layer.bias),
            dy: Lined::copied(dy.as_flattened()),
            ones: Lined::filled(B, T::ONE),
            y: Lined::zeroed(B * DOUT),
            dx: Lined::zeroed(B * DIN),
            dw: Lined::zeroed(DIN * DOUT),
            db: Lined::zeroed(DOUT),
        };
        let nalgebra = Nalgebra::new(&flat);
        let (y, dx) = (LinedRows::zeroed(), LinedRows::zeroed());
        Self { layer, grads: Grads::boxed_zeroed(), x, dy, y, dx, flat, nalgebra }
    }

    // tinylinear and its oracle write into the typed buffers.

    fn tinylinear_forward(&mut self) {
        self.layer.forward(black_box(&self.x), &mut self.y);
    }

    fn tinylinear_backward(&mut self, update: Update) {
        let (x, dy) = (black_box(&self.x), black_box(&self.dy));
        match update {
            Update::Overwrite => self.layer.backward_overwrite(x, dy, &mut self.dx, &mut self.grads),
            Update::Accumulate => self.layer.backward(x, dy, &mut self.dx, &mut self.grads),
        }
    }

    fn reference_forward(&mut self) {
        let layer = &*self.layer;
        reference::forward(&black_box(&self.x)[..], &layer.weight, Some(&layer.bias), &mut self.y[..]);
    }

    fn reference_backward(&mut self) {
        let (x, dy) = (&black_box(&self.x)[..], &black_box(&self.dy)[..]);
        reference::backward_input(dy, &self.layer.weight, &mut self.dx[..]);
        reference::backward_weight(x, dy, &mut self.grads.weight, Update::Overwrite);
        reference::backward_bias(dy, &mut self.grads.bias, Update::Overwrite);
    }

    // The peers write into the flat buffers.

    fn naive_forward(&mut self) {
        let f = &mut self.flat;
        naive::forward(black_box(&f.x), &f.w, &f.b, &mut f.y);
    }

    fn naive_backward(&mut self) {
        let f = &mut self.flat;
        let (x, dy) = (black_box(&f.x), black_box(&f.dy));
        naive::backward_input(dy, &f.w, &mut f.dx, DOUT);
        naive::backward_weight(x, dy, &mut f.dw, DOUT);
        naive::backward_bias(dy, &mut f.db);
    }

    /// A GEMM peer's forward ([`peer::gemm_forward`]).
    fn gemm_forward(&mut self, gemm: Gemm<T>) {
        let f = &mut self.flat;
        peer::gemm_forward(gemm, black_box(&f.x), &f.w, &f.b, &mut f.y);
    }

    /// A GEMM peer's backward ([`peer::gemm_backward`]).
    fn gemm_backward(&mut self, gemm: Gemm<T>) {
        let f = &mut self.flat;
        peer::gemm_backward(gemm, black_box(&f.x), &f.w, black_box(&f.dy), &f.ones, (&mut f.dx, &mut f.dw, &mut f.db));
    }

    /// Runs every implementation once and panics unless each one's outputs
    /// match tinylinear's within `T::TOLERANCE`.
    fn check(&mut self, name: &str) {
        self.tinylinear_forward();
        self.tinylinear_backward(Update::Overwrite);
        let want = Outputs {
            y: self.y.as_flattened().to_vec(),
            dx: self.dx.as_flattened().to_vec(),
            dw: self.grads.weight.as_flattened().to_vec(),
            db: self.grads.bias.to_vec(),
        };
        for v in [&want.y, &want.dx, &want.dw, &want.db] {
            assert!(v.iter().any(|&e| e != T::ZERO), "{name}: tinylinear wrote an all-zero output");
        }

        // Each pass below starts from poisoned outputs (gradients that
        // accumulate from zero), so that one that forgets to write an
        // output cannot pass on the answer tinylinear left there.
        poison(self.dx.as_flattened_mut());
        self.grads.zero();
        self.tinylinear_backward(Update::Accumulate);
        want.check_backward(name, "tinylinear-accumulate", &self.dx[..], &self.grads);

        poison(self.y.as_flattened_mut());
        self.reference_forward();
        want.check(name, "reference forward Y", self.y.as_flattened(), &want.y);
        poison(self.dx.as_flattened_mut());
        poison(self.grads.weight.as_flattened_mut());
        poison(&mut self.grads.bias);
        self.reference_backward();
        want.check_backward(name, "reference", &self.dx[..], &self.grads);

        type Pass<C> = fn(&mut C);
        let flat_peers: [(&str, Pass<Self>, Pass<Self>); 3] = [
            ("naive", Self::naive_forward, Self::naive_backward),
            ("gemm", |case| case.gemm_forward(gemm_crate), |case| case.gemm_backward(gemm_crate)),
            (
                "matrixmultiply",
                |case| case.gemm_forward(T::matrixmultiply),
                |case| case.gemm_backward(T::matrixmultiply),
            ),
        ];
        for (peer, forward, backward) in flat_peers {
            self.clear_flat_outputs();
            forward(self);
            backward(self);
            want.check_flat(name, peer, &self.flat);
        }

        self.nalgebra.forward();
        self.nalgebra.backward();
        let n = &self.nalgebra;
        want.check(name, "nalgebra Y", n.y.as_slice(), &want.y);
        want.check(name, "nalgebra dX", n.dx.as_slice(), &want.dx);
        want.check(name, "nalgebra dW", n.dw.as_slice(), &want.dw);
        want.check(name, "nalgebra db", n.db.as_slice(), &want.db);
    }

    /// Poisons the peers' outputs, so that a pass that forgets to write one
    /// cannot inherit the previous peer's right answer.
    fn clear_flat_outputs(&mut self) {
        let f = &mut self.flat;
        for out in [&mut f.y, &mut f.dx, &mut f.dw, &mut f.db] {
            poison(out);
        }
    }
}

/// Fills an output with NaN, which no check accepts.
fn poison<T: Element>(out: &mut [T]) {
    out.fill(T::from_f64(f64::NAN));
}

/// tinylinear's outputs for one shape: what every other implementation must match.
struct Outputs<T> {
    y: Vec<T>,
    dx: Vec<T>,
    dw: Vec<T>,
    db: Vec<T>,
}

impl<T: Float> Outputs<T> {
    /// Panics unless `got` matches `want` element by element within
    /// `T::TOLERANCE ×` the largest magnitude in `want`. NaN never matches.
    fn check(&self, shape: &str, what: &str, got: &[T], want: &[T]) {
        assert_eq!(got.len(), want.len(), "{shape}: {what} has the wrong length");
        let scale = want.iter().fold(0.0f64, |m, v| m.max(Element::to_f64(*v).abs()));
        let bound = T::TOLERANCE * scale;
        for (at, (g, w)) in got.iter().zip(want).enumerate() {
            let error = (Element::to_f64(*g) - Element::to_f64(*w)).abs();
            if error.is_nan() || error > bound {
                panic!(
                    "{shape}: {what} differs from tinylinear at element {at}: {g} vs {w} \
                     (|error| {error:e} > {bound:e} = {tolerance:e} × max |value| {scale:e})",
                    tolerance = T::TOLERANCE
                );
            }
        }
    }

    fn check_backward<const DIN: usize, const DOUT: usize>(
        &self,
        shape: &str,
        who: &str,
        dx: &[[T; DIN]],
        grads: &Grads<DIN, DOUT, T>,
    ) {
        self.check(shape, &format!("{who} dX"), dx.as_flattened(), &self.dx);
        self.check(shape, &format!("{who} dW"), grads.weight.as_flattened(), &self.dw);
        self.check(shape, &format!("{who} db"), &grads.bias, &self.db);
    }

    fn check_flat(&self, shape: &str, who: &str, flat: &Flat<T>) {
        self.check(shape, &format!("{who} Y"), &flat.y, &self.y);
        self.check(shape, &format!("{who} dX"), &flat.dx, &self.dx);
        self.check(shape, &format!("{who} dW"), &flat.dw, &self.dw);
        self.check(shape, &format!("{who} db"), &flat.db, &self.db);
    }
}

// ---------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------

/// Checks, then times, every implementation on one shape.
fn bench_shape<T: Float, const B: usize, const DIN: usize, const DOUT: usize>(c: &mut Criterion) {
    let name = shape_name::<T>(B, DIN, DOUT);
    let forward_id = format!("forward/{name}");
    let backward_id = format!("backward/{name}");
    let mut case = Case::<T, B, DIN, DOUT>::new();
    case.check(&name);

    let mut group = c.benchmark_group(forward_id);
    group.throughput(Throughput::Elements(Linear::<DIN, DOUT, T>::forward_flops(B)));
    group.bench_function("tinylinear", |b| b.iter(|| case.tinylinear_forward()));
    group.bench_function("reference", |b| b.iter(|| case.reference_forward()));
    group.bench_function("naive", |b| b.iter(|| case.naive_forward()));
    group.bench_function("gemm", |b| b.iter(|| case.gemm_forward(gemm_crate)));
    group.bench_function("matrixmultiply", |b| b.iter(|| case.gemm_forward(T::matrixmultiply)));
    group.bench_function("nalgebra", |b| b.iter(|| case.nalgebra.forward()));
    group.finish();

    let mut group = c.benchmark_group(backward_id);
    group.throughput(Throughput::Elements(Linear::<DIN, DOUT, T>::backward_flops(B)));
    group.bench_function("tinylinear", |b| b.iter(|| case.tinylinear_backward(Update::Overwrite)));
    group.bench_function("tinylinear-accumulate", |b| b.iter(|| case.tinylinear_backward(Update::Accumulate)));
    group.bench_function("reference", |b| b.iter(|| case.reference_backward()));
    group.bench_function("naive", |b| b.iter(|| case.naive_backward()));
    group.bench_function("gemm", |b| b.iter(|| case.gemm_backward(gemm_crate)));
    group.bench_function("matrixmultiply", |b| b.iter(|| case.gemm_backward(T::matrixmultiply)));
    group.bench_function("nalgebra", |b| b.iter(|| case.nalgebra.backward()));
    group.finish();
}

fn peers(c: &mut Criterion) {
    eprintln!("tinylinear kernels: {}", tinylinear::BACKEND);
    if tinylinear::BACKEND == "sse2" {
        eprintln!("warning: tinylinear is on its SSE2 path; build with RUSTFLAGS=\"-C target-cpu=native\"");
    }
    for_each_shape!(bench_shape(c));
}

criterion_group! {
    name = benches;
    // Shorter than criterion's defaults (3 s warm-up, 5 s, 100 samples) so
    // the full run of 130 benchmarks takes 10 to 15 minutes; override on the
    // command line (`--measurement-time 10`).
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(40);
    targets = peers
}
criterion_main!(benches);
