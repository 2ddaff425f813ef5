//! The GEMM peers as both benchmarks call them: tinylinear's row-major
//! buffers seen through strided views, and the layer's passes written as
//! GEMM calls, so that `benches/peers.rs` and the roofline time the same
//! thing.

use tinylinear::Element;

/// A GEMM peer: `C = A·B`, or `C += A·B` when `accumulate`, C row-major.
pub type Gemm<T> = fn(&mut [T], bool, View<'_, T>, View<'_, T>);

/// The layer's forward as a GEMM peer runs it: Y filled with b, row by row,
/// then `Y += X·W` (GEMM's beta = 1). `x` is B × d_in, `w` d_in × d_out,
/// `y` B × d_out, all row-major; d_out is `b.len()`.
pub fn gemm_forward<T: Element>(gemm: Gemm<T>, x: &[T], w: &[T], b: &[T], y: &mut [T]) {
    let dout = b.len();
    let din = w.len() / dout;
    for row in y.chunks_exact_mut(dout) {
        row.copy_from_slice(b);
    }
    gemm(y, true, View::row_major(x, x.len() / din, din), View::row_major(w, din, dout));
}

/// The layer's backward as a GEMM peer runs it: `dX = dY·Wᵀ`, `dW = Xᵀ·dY`
/// and `db = 1ᵀ·dY` (`ones` holds B ones), each written (beta = 0), the
/// transposes as swapped strides. The outputs are `(dx, dw, db)`.
pub fn gemm_backward<T: Element>(
    gemm: Gemm<T>,
    x: &[T],
    w: &[T],
    dy: &[T],
    ones: &[T],
    (dx, dw, db): (&mut [T], &mut [T], &mut [T]),
) {
    let (batch, dout) = (ones.len(), db.len());
    let din = w.len() / dout;
    let x = View::row_major(x, batch, din);
    let dy = View::row_major(dy, batch, dout);
    let w = View::row_major(w, din, dout);
    gemm(dx, false, dy, w.t());
    gemm(dw, false, x.t(), dy);
    gemm(db, false, View::row_major(ones, 1, batch), dy);
}

/// A read-only `rows × cols` matrix in a slice, element `(r, c)` at
/// `r·rs + c·cs`. Built only by [`View::row_major`] and [`View::t`].
#[derive(Clone, Copy)]
pub struct View<'a, T> {
    pub data: &'a [T],
    pub rows: usize,
    pub cols: usize,
    rs: usize,
    cs: usize,
}

impl<'a, T> View<'a, T> {
    /// A row-major matrix: `rows` rows of `cols` contiguous elements.
    pub fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        assert_eq!(data.len(), rows * cols, "a {rows} × {cols} matrix");
        Self { data, rows, cols, rs: cols, cs: 1 }
    }

    /// The transpose, free of charge: the same elements, strides swapped.
    pub fn t(self) -> Self {
        Self { rows: self.cols, cols: self.rows, rs: self.cs, cs: self.rs, ..self }
    }

    pub fn row_stride(&self) -> isize {
        isize::try_from(self.rs).expect("stride fits isize")
    }

    pub fn col_stride(&self) -> isize {
        isize::try_from(self.cs).expect("stride fits isize")
    }

    /// Asserts that every element the view addresses lies inside its slice.
    pub fn assert_in_bounds(&self) {
        if self.rows > 0 && self.cols > 0 {
            let last = (self.rows - 1) * self.rs + (self.cols - 1) * self.cs;
            assert!(last < self.data.len(), "view reaches past its slice");
        }
    }
}

/// `(m, k, n)` of `C (m × n) = A (m × k) · B (k × n)`, after checking that
/// the shapes agree and that both views and `c` are in bounds.
pub fn product_dims<T>(c: &[T], a: View<'_, T>, b: View<'_, T>) -> (usize, usize, usize) {
    a.assert_in_bounds();
    b.assert_in_bounds();
    assert_eq!(a.cols, b.rows, "inner dimensions of A·B");
    assert_eq!(c.len(), a.rows * b.cols, "C is m × n");
    (a.rows, a.cols, b.cols)
}

/// `C = A·B` or `C += A·B` by the `gemm` crate on the calling thread, C row-major.
pub fn gemm_crate<T: Element>(c: &mut [T], accumulate: bool, a: View<'_, T>, b: View<'_, T>) {
    let (m, k, n) = product_dims(c, a, b);
    // gemm computes dst = alpha·dst + beta·(lhs·rhs), reading dst only when
    // `read_dst` is set: alpha = beta = 1 is "accumulate onto C".
    // SAFETY: `product_dims` checked that every element either view
    // addresses lies inside its slice and that `c` holds m × n elements,
    // which the strides (1, n) address row by row; `gemm` takes the column
    // stride before the row stride.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.col_stride(),
            a.row_stride(),
            b.data.as_ptr(),
            b.col_stride(),
            b.row_stride(),
            T::ONE,
            T::ONE,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}
