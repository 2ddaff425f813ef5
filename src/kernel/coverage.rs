//! What the kernel tests reach on this build: every path the tiled kernels
//! compile here taken by at least one shape and batch of
//! `kernel/test_shapes.rs` (the list `tests/it/kernels.rs` checks against
//! the f64 oracle), and every tile and vector edge of this backend crossed:
//! widths and batches below, at and one past it.
//!
//! The paths are read off the predicates the kernels branch on, so a change
//! to a threshold or a tile size that leaves a path untested fails here, on
//! the backend where it happens.

extern crate std;

use std::collections::BTreeSet;
use std::format;
use std::vec::Vec;

use super::backend::{DW_VECTORS, DX_COLS, FORWARD_ROWS, FORWARD_VECTORS, GEMV_VECTORS, SIMD};
use super::drive::column_tiles;
use super::dx::GEMV_W_ROWS;
use super::fused::FEW_ROWS_DW_VECTORS;
use super::micro::lanes;
#[cfg(target_feature = "avx")]
use super::tuning::DX_PACK_DEPTH;
use super::tuning::{
    DW_DEPTH, DW_PANELS, PACK_DEPTH, dw_packs, dx_packs, few_rows_one_pass, forward_group_rows, forward_packs,
    runs_row_by_row, weight_beyond_l1, weight_packs,
};
use crate::Element;

include!("test_shapes.rs");

/// A way through the kernels, as the layer's forward and backward take it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Path {
    /// Batch 1, a row that fits one register tile of this many vectors.
    GemvTile(usize),
    /// Batch 1, narrower than a vector: scalar columns.
    GemvScalarColumns,
    /// Batch 1, a register tile whose last vector overlaps the one before.
    GemvTileTail,
    /// Batch 1, a wider row streamed through L1, this many rows of W a pass.
    GemvStream(usize),
    /// Batch 1, a streamed row whose last columns add up in a register.
    GemvStreamTail,
    /// Batches of two rows or more, W read in place, in one group of rows.
    ForwardInPlace,
    /// The same in several groups of rows.
    ForwardInPlaceGroups,
    /// Panels of W packed into blocks on the stack.
    ForwardPacked,
    /// A packed W whose last block is shorter than the others.
    ForwardPackedShortBlock,
    /// A packed W in several groups of rows, each packing again.
    ForwardPackedGroups,
    /// Full panels of `FORWARD_VECTORS` vectors.
    ForwardPanels,
    /// One-vector tiles after the full panels.
    ForwardOneVectorTiles,
    /// The last columns as one vector overlapping the columns before.
    ForwardColumnTail,
    /// Narrower than a vector: scalar columns.
    ForwardScalarColumns,
    /// Batch 1 backward in one pass of dot tiles and rows of dW (W in L1).
    BackwardRowOnePass,
    /// Batch 1 backward as dX's tiles, then dW's outer product (W past L1).
    BackwardRowTwoPasses,
    /// Batch 1 backward one row of W at a time (AVX, long rows past L1).
    BackwardRowByRow,
    /// dX alone at batch 1 through dot tiles of rows of W.
    DxRowTiles,
    /// Batches too small to pack: dX's and dW's tiles in one pass over W.
    BackwardFewRows,
    /// dW's tiles in that pass: some four-vector tiles.
    FewRowsWideTiles,
    /// Larger batches: dX, then dW.
    BackwardTwoPasses,
    /// dX's dot tiles over the batch (all of dX, or the inputs left after
    /// the packed panels).
    DxDotTiles,
    /// dX through packed blocks of Wᵀ (AVX).
    DxPacked,
    /// More than one block of Wᵀ deep.
    DxPackedBlocks,
    /// Inputs left over after the last packed panel.
    DxPackedInputsLeft,
    /// dW's tiles reading X and dY in place.
    DwInPlace,
    /// dW in place with two-vector tiles after three-vector ones.
    DwInPlacePairs,
    /// dW from packed panels of dY.
    DwPacked,
    /// More batch rows than one packed block of dY holds.
    DwPackedDeep,
    /// More full panels than one pass packs.
    DwPackedPasses,
    /// Columns left after the packed panels, read in place.
    DwPackedColumnsLeft,
}

/// The paths a `DIN → DOUT` layer of `T` takes at a batch of `rows`.
fn paths<T: Element, const DIN: usize, const DOUT: usize>(rows: usize) -> Vec<Path> {
    let lanes = lanes::<T>();
    let panel = FORWARD_VECTORS * lanes;
    let mut taken = Vec::new();
    if rows == 0 {
        return taken;
    }
    if rows == 1 {
        if DOUT > GEMV_VECTORS * lanes {
            taken.push(Path::GemvStream(if DOUT * size_of::<T>() <= 512 { 2 } else { 4 }));
            if !DOUT.is_multiple_of(lanes) {
                taken.push(Path::GemvStreamTail);
            }
        } else if DOUT < lanes {
            taken.push(Path::GemvScalarColumns);
        } else {
            taken.push(Path::GemvTile(DOUT / lanes));
            if !DOUT.is_multiple_of(lanes) {
                taken.push(Path::GemvTileTail);
            }
        }
        if runs_row_by_row::<T, DIN, DOUT>() {
            taken.push(Path::BackwardRowByRow);
        } else {
            taken.push(Path::DxRowTiles);
            if weight_beyond_l1::<T, DIN, DOUT>() {
                taken.push(Path::BackwardRowTwoPasses);
            } else {
                taken.push(Path::BackwardRowOnePass);
            }
        }
        return taken;
    }

    let groups = rows > forward_group_rows::<T, DIN, DOUT>(rows);
    if forward_packs::<T, DIN, DOUT>(rows) {
        taken.push(Path::ForwardPacked);
        if DIN > PACK_DEPTH && !DIN.is_multiple_of(PACK_DEPTH) {
            taken.push(Path::ForwardPackedShortBlock);
        }
        if groups {
            taken.push(Path::ForwardPackedGroups);
        }
    } else {
        taken.push(if groups { Path::ForwardInPlaceGroups } else { Path::ForwardInPlace });
    }
    if DOUT < lanes {
        taken.push(Path::ForwardScalarColumns);
    } else {
        if DOUT >= panel {
            taken.push(Path::ForwardPanels);
        }
        if !(DOUT / lanes).is_multiple_of(FORWARD_VECTORS) {
            taken.push(Path::ForwardOneVectorTiles);
        }
        if !DOUT.is_multiple_of(lanes) {
            taken.push(Path::ForwardColumnTail);
        }
    }

    if few_rows_one_pass(rows, rows, rows) {
        taken.push(Path::BackwardFewRows);
        if DOUT >= FEW_ROWS_DW_VECTORS * lanes {
            taken.push(Path::FewRowsWideTiles);
        }
        return taken;
    }
    taken.push(Path::BackwardTwoPasses);
    let mut dot_from = 0;
    if dx_packs(rows) {
        taken.push(Path::DxPacked);
        #[cfg(target_feature = "avx")]
        if DOUT > DX_PACK_DEPTH {
            taken.push(Path::DxPackedBlocks);
        }
        dot_from = DIN / panel * panel;
        if dot_from > 0 && dot_from < DIN {
            taken.push(Path::DxPackedInputsLeft);
        }
    }
    if dot_from < DIN {
        taken.push(Path::DxDotTiles);
    }
    let mut in_place_from = 0;
    if dw_packs::<T, DIN, DOUT>(rows) && DOUT >= panel {
        taken.push(Path::DwPacked);
        if rows > DW_DEPTH {
            taken.push(Path::DwPackedDeep);
        }
        if DOUT / panel > DW_PANELS {
            taken.push(Path::DwPackedPasses);
        }
        in_place_from = DOUT / panel * panel;
        if in_place_from < DOUT {
            taken.push(Path::DwPackedColumnsLeft);
        }
    }
    if in_place_from == 0 {
        taken.push(Path::DwInPlace);
        if column_tiles(DOUT / lanes, DW_VECTORS).1 > 0 && DW_VECTORS == 3 {
            taken.push(Path::DwInPlacePairs);
        }
    }
    taken
}

/// What the listed shapes of one element type cover.
#[derive(Default)]
struct Reach {
    paths: BTreeSet<Path>,
    /// Widths of Y (and dY, and dW's rows).
    outputs: BTreeSet<usize>,
    /// Widths of X (and dX; rows of W and dW).
    inputs: BTreeSet<usize>,
    /// Batches of the small shapes (those checked at every small batch).
    batches: BTreeSet<usize>,
    /// Batches at which the forward packs W, of a shape that packs it.
    packing_batches: BTreeSet<usize>,
    /// Whether some shape packs dW at one listed batch and not at a smaller one.
    dw_packing_crossed: bool,
}

impl Reach {
    fn add<T: Element, const DIN: usize, const DOUT: usize>(&mut self, batches: &[usize]) {
        self.outputs.insert(DOUT);
        self.inputs.insert(DIN);
        if batches == SMALL_BATCHES {
            self.batches.extend(batches);
        }
        if weight_packs(DIN, DOUT, size_of::<T>()) {
            self.packing_batches.extend(batches);
        }
        for &rows in batches {
            self.paths.extend(paths::<T, DIN, DOUT>(rows));
        }
        let packs = |rows: usize| dw_packs::<T, DIN, DOUT>(rows);
        self.dw_packing_crossed |= batches.iter().any(|&b| packs(b) && batches.iter().any(|&a| a < b && !packs(a)));
    }

    /// The reach of every listed shape of `T`.
    fn of<T: Element>() -> Self {
        let mut reach = Self::default();
        macro_rules! add_if_t {
            ($elem:ty, $din:literal, $dout:literal, $batches:expr) => {
                if size_of::<$elem>() == size_of::<T>() {
                    reach.add::<$elem, $din, $dout>($batches);
                }
            };
        }
        kernel_test_shapes!(add_if_t);
        reach
    }
}

/// `what` is missing none of `want`.
fn assert_covers(what: &str, have: &BTreeSet<usize>, want: impl IntoIterator<Item = usize>) {
    let missing: Vec<usize> = want.into_iter().filter(|w| !have.contains(w)).collect();
    assert!(missing.is_empty(), "{what}: no listed shape at {missing:?} (listed: {have:?})");
}

/// `edge − 1`, `edge` and `edge + 1` for each edge.
fn around(edges: &[usize]) -> Vec<usize> {
    edges.iter().flat_map(|&e| [e.saturating_sub(1), e, e + 1]).filter(|&w| w > 0).collect()
}

/// Checks the edges of `T`'s tiles and vectors, and returns its reach.
fn check_edges<T: Element>() -> Reach {
    let reach = Reach::of::<T>();
    let name = T::NAME;
    let lanes = lanes::<T>();
    let (rows, panel) = (FORWARD_ROWS, FORWARD_VECTORS * lanes);

    // Edges of the column tiles: one to four vectors (the GEMV's tiles),
    // the forward's panel and two, dW's panel and two, and the widths at
    // which the batch-1 GEMV streams two rows of W or four.
    let stream_two = 512 / size_of::<T>();
    let column_edges = [
        lanes,
        2 * lanes,
        3 * lanes,
        GEMV_VECTORS * lanes,
        panel,
        2 * panel,
        DW_VECTORS * lanes,
        2 * DW_VECTORS * lanes,
    ];
    assert_covers(&format!("{name} widths of Y"), &reach.outputs, around(&column_edges));
    assert_covers(&format!("{name} widths of Y"), &reach.outputs, [1, stream_two, stream_two + 1]);
    // Edges of the row tiles over W's rows (dW's tiles, where 6 + 2 rows
    // run as 4 + 4, and dX's blocks of rows of W) and of dX's packed
    // panels, whose width is X's.
    let split = if rows == 6 { rows + 2 } else { rows };
    let row_edges = [rows, split, 4, 2, DX_COLS, GEMV_W_ROWS, panel];
    assert_covers(&format!("{name} widths of X"), &reach.inputs, around(&row_edges));
    // Edges of the batch: each row tile, and two of them (packing and the
    // two-pass backward start there).
    assert_covers(
        &format!("{name} batches"),
        &reach.batches,
        [0, 1, 2, 3, 4, 5].into_iter().chain(around(&[rows, 2 * rows])),
    );

    if SIMD {
        assert_covers(&format!("{name} batches of a packing W"), &reach.packing_batches, around(&[2 * rows]));
        assert!(reach.dw_packing_crossed, "{name}: no listed shape packs dW at one batch and not at a smaller one");
    }
    reach
}

/// Both element types' widths and batches cross every edge of this
/// backend's tiles and vectors, and between them their shapes take every
/// path this build compiles. (The scalar backend runs the reference loops,
/// none of the paths.)
#[test]
fn the_kernel_tests_reach_every_path_and_edge() {
    let (f32s, f64s) = (check_edges::<f32>(), check_edges::<f64>());
    if !SIMD {
        return;
    }
    let reached: BTreeSet<Path> = f32s.paths.union(&f64s.paths).copied().collect();

    let mut want = Vec::from([
        Path::GemvScalarColumns,
        Path::GemvTileTail,
        Path::GemvStream(2),
        Path::GemvStream(4),
        Path::GemvStreamTail,
        Path::ForwardInPlace,
        Path::ForwardInPlaceGroups,
        Path::ForwardPacked,
        Path::ForwardPackedShortBlock,
        Path::ForwardPackedGroups,
        Path::ForwardPanels,
        Path::ForwardColumnTail,
        Path::ForwardScalarColumns,
        Path::DxRowTiles,
        Path::BackwardRowOnePass,
        Path::BackwardRowTwoPasses,
        Path::BackwardFewRows,
        Path::FewRowsWideTiles,
        Path::BackwardTwoPasses,
        Path::DxDotTiles,
        Path::DwInPlace,
        Path::DwPacked,
        Path::DwPackedDeep,
        Path::DwPackedPasses,
        Path::DwPackedColumnsLeft,
    ]);
    want.extend((1..=GEMV_VECTORS).map(Path::GemvTile));
    if FORWARD_VECTORS > 1 {
        want.push(Path::ForwardOneVectorTiles);
    }
    if DW_VECTORS == 3 {
        want.push(Path::DwInPlacePairs);
    }
    if cfg!(target_feature = "avx") {
        want.extend([Path::BackwardRowByRow, Path::DxPacked, Path::DxPackedBlocks, Path::DxPackedInputsLeft]);
    }
    let missing: Vec<Path> = want.into_iter().filter(|p| !reached.contains(p)).collect();
    assert!(missing.is_empty(), "no listed shape takes {missing:?}");
}
