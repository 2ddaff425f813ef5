//! `db = Σ dY` over the batch: tiles of columns, each summed down the
//! whole batch in registers and stored once.

use super::drive::{ColumnTile, for_each_column_block};
use super::epilogue::Update;
use super::micro::{Columns, V, lanes, load, store_tile};
use super::simd::Vector;
use crate::Element;

/// `db = Σ over the batch of dY`, written or added as `update` says: tiles
/// of `DB_VECTORS` vectors of columns, each summed down the whole batch
/// in registers and stored once.
///
/// A tile reads each row of dY once for `DB_VECTORS` vectors, with as many
/// independent chains of adds, where one vector at a time would read every
/// row once per vector, one dependent add after the other. Summed in the
/// same order for every column, the results are the same to the bit.
/// Measurements: BENCHMARKS.md.
pub(crate) fn backward_bias<T: Element, const DOUT: usize>(dy: &[[T; DOUT]], db: &mut [T; DOUT], update: Update) {
    for_each_column_block::<T, _, DB_VECTORS, DOUT>(0, &mut DbTile { dy, db, update });
}

/// Vectors per tile of [`backward_bias`]: four chains of adds, and a
/// quarter of the passes down the batch that one-vector tiles make.
/// Measurements: BENCHMARKS.md.
const DB_VECTORS: usize = 4;

/// dY's rows and db, for [`for_each_column_block`].
struct DbTile<'a, T, const DOUT: usize> {
    dy: &'a [[T; DOUT]],
    db: &'a mut [T; DOUT],
    update: Update,
}

impl<T: Element, const DOUT: usize> ColumnTile for DbTile<'_, T, DOUT> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn tile<const N: usize>(&mut self, columns: Columns) {
        let lanes = lanes::<T>();
        let mut acc = [V::<T>::ZERO; N];
        for dy_row in self.dy {
            for (v, acc_v) in acc.iter_mut().enumerate() {
                *acc_v = *acc_v + load(dy_row, columns.j + v * lanes);
            }
        }
        store_tile(&[acc], core::array::from_mut(self.db), columns, self.update);
    }

    #[cfg_attr(not(debug_assertions), inline(always))]
    fn column(&mut self, column: usize) {
        let mut sum = T::ZERO;
        for dy_row in self.dy {
            sum += dy_row[column];
        }
        if let Some(db_j) = self.db.get_mut(column) {
            self.update.apply(db_j, sum);
        }
    }
}
