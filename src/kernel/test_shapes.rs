// The layer shapes and batches the kernel tests check against the f64
// oracle (`tests/it/kernels.rs`, which `include!`s this file), shared with
// the kernel's own unit tests (`kernel::coverage`), which assert that
// together they reach every path the build compiles and every tile and
// vector edge around it, on whichever backend runs them.
//
// Plain comments only: `include!` takes no inner doc attributes.
//
// `kernel_test_shapes!(visit)` calls `visit!(element, d_in, d_out, &batches)`
// once per shape. Each shape is a separate instance of every kernel, so the
// list is chosen by what it covers, not swept:
//
// - widths of Y (and of dY and dW's rows) below, at and one past every
//   multiple of a vector that a tile or the batch-1 GEMV switches at: one,
//   two, three and four vectors, the forward's panel and two panels, dW's
//   three-vector panels and two of those (8 and 16 f32 lanes, 4 and 8 f64),
//   and the widths where the GEMV streams two rows of W or four;
// - widths of X (the rows of dW and W) below, at and one past every row
//   tile (4, 6 and 8 rows, and 6 + 2 run as 4 + 4) and dX's packed panels;
// - every batch from 0 to 20 and 33: below, at and one past each row tile
//   and twice each (where packing and the two-pass backward start);
// - large layers at a few batches each, across packed blocks of W, of dY
//   and of Wᵀ, groups of rows, and the batch-1 row-by-row backward.

/// Every batch from 0 to 20, and 33.
const SMALL_BATCHES: [usize; 22] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 33];

macro_rules! kernel_test_shapes {
    ($visit:ident) => {
        // Widths of Y, f32: 13 inputs.
        $visit!(f32, 13, 1, &SMALL_BATCHES);
        $visit!(f32, 13, 3, &SMALL_BATCHES);
        $visit!(f32, 13, 7, &SMALL_BATCHES);
        $visit!(f32, 13, 8, &SMALL_BATCHES);
        $visit!(f32, 13, 9, &SMALL_BATCHES);
        $visit!(f32, 13, 15, &SMALL_BATCHES);
        $visit!(f32, 13, 16, &SMALL_BATCHES);
        $visit!(f32, 13, 17, &SMALL_BATCHES);
        $visit!(f32, 13, 23, &SMALL_BATCHES);
        $visit!(f32, 13, 24, &SMALL_BATCHES);
        $visit!(f32, 13, 25, &SMALL_BATCHES);
        $visit!(f32, 13, 31, &SMALL_BATCHES);
        $visit!(f32, 13, 32, &SMALL_BATCHES);
        $visit!(f32, 13, 33, &SMALL_BATCHES);
        $visit!(f32, 13, 47, &SMALL_BATCHES);
        $visit!(f32, 13, 48, &SMALL_BATCHES);
        $visit!(f32, 13, 49, &SMALL_BATCHES);
        $visit!(f32, 13, 63, &SMALL_BATCHES);
        $visit!(f32, 13, 64, &SMALL_BATCHES);
        $visit!(f32, 13, 65, &SMALL_BATCHES);
        $visit!(f32, 13, 95, &SMALL_BATCHES);
        $visit!(f32, 13, 96, &SMALL_BATCHES);
        $visit!(f32, 13, 97, &SMALL_BATCHES);
        $visit!(f32, 13, 128, &SMALL_BATCHES);
        $visit!(f32, 13, 129, &SMALL_BATCHES);
        // Widths of Y, f64: 7 inputs.
        $visit!(f64, 7, 1, &SMALL_BATCHES);
        $visit!(f64, 7, 3, &SMALL_BATCHES);
        $visit!(f64, 7, 4, &SMALL_BATCHES);
        $visit!(f64, 7, 5, &SMALL_BATCHES);
        $visit!(f64, 7, 7, &SMALL_BATCHES);
        $visit!(f64, 7, 8, &SMALL_BATCHES);
        $visit!(f64, 7, 9, &SMALL_BATCHES);
        $visit!(f64, 7, 11, &SMALL_BATCHES);
        $visit!(f64, 7, 12, &SMALL_BATCHES);
        $visit!(f64, 7, 13, &SMALL_BATCHES);
        $visit!(f64, 7, 15, &SMALL_BATCHES);
        $visit!(f64, 7, 16, &SMALL_BATCHES);
        $visit!(f64, 7, 17, &SMALL_BATCHES);
        $visit!(f64, 7, 23, &SMALL_BATCHES);
        $visit!(f64, 7, 24, &SMALL_BATCHES);
        $visit!(f64, 7, 25, &SMALL_BATCHES);
        $visit!(f64, 7, 31, &SMALL_BATCHES);
        $visit!(f64, 7, 32, &SMALL_BATCHES);
        $visit!(f64, 7, 33, &SMALL_BATCHES);
        $visit!(f64, 7, 47, &SMALL_BATCHES);
        $visit!(f64, 7, 48, &SMALL_BATCHES);
        $visit!(f64, 7, 49, &SMALL_BATCHES);
        $visit!(f64, 7, 64, &SMALL_BATCHES);
        $visit!(f64, 7, 65, &SMALL_BATCHES);
        // Widths of X, f32 (33 outputs: four 8-lane vectors and a tail, or
        // two 16-lane ones and a tail).
        $visit!(f32, 1, 33, &SMALL_BATCHES);
        $visit!(f32, 2, 33, &SMALL_BATCHES);
        $visit!(f32, 3, 33, &SMALL_BATCHES);
        $visit!(f32, 4, 33, &SMALL_BATCHES);
        $visit!(f32, 5, 33, &SMALL_BATCHES);
        $visit!(f32, 6, 33, &SMALL_BATCHES);
        $visit!(f32, 7, 33, &SMALL_BATCHES);
        $visit!(f32, 8, 33, &SMALL_BATCHES);
        $visit!(f32, 9, 33, &SMALL_BATCHES);
        $visit!(f32, 14, 33, &SMALL_BATCHES);
        $visit!(f32, 15, 33, &SMALL_BATCHES);
        $visit!(f32, 16, 33, &SMALL_BATCHES);
        $visit!(f32, 17, 33, &SMALL_BATCHES);
        $visit!(f32, 31, 33, &SMALL_BATCHES);
        $visit!(f32, 32, 33, &SMALL_BATCHES);
        $visit!(f32, 33, 33, &SMALL_BATCHES);
        // Widths of X, f64 (17 outputs).
        $visit!(f64, 1, 17, &SMALL_BATCHES);
        $visit!(f64, 2, 17, &SMALL_BATCHES);
        $visit!(f64, 3, 17, &SMALL_BATCHES);
        $visit!(f64, 4, 17, &SMALL_BATCHES);
        $visit!(f64, 5, 17, &SMALL_BATCHES);
        $visit!(f64, 6, 17, &SMALL_BATCHES);
        $visit!(f64, 8, 17, &SMALL_BATCHES);
        $visit!(f64, 9, 17, &SMALL_BATCHES);
        $visit!(f64, 13, 17, &SMALL_BATCHES);
        $visit!(f64, 15, 17, &SMALL_BATCHES);
        $visit!(f64, 16, 17, &SMALL_BATCHES);
        $visit!(f64, 17, 17, &SMALL_BATCHES);
        $visit!(f64, 31, 17, &SMALL_BATCHES);
        $visit!(f64, 32, 17, &SMALL_BATCHES);
        $visit!(f64, 33, 17, &SMALL_BATCHES);
        // Odd widths on both sides.
        $visit!(f32, 127, 129, &[1, 5, 13, 33]);
        $visit!(f64, 129, 127, &[1, 5, 13, 33]);
        $visit!(f32, 65, 63, &[1, 7, 17]);
        $visit!(f64, 63, 65, &[1, 7, 17]);
        $visit!(f32, 128, 64, &[1, 3, 32]);
        // Large layers. The forward packs W in 512-deep blocks (256 with
        // AVX-512) once a panel's rows claim more than 512 KiB of cache and
        // the batch has two row tiles: 531 → 256 f32 (a last block 19 deep),
        // 520 → 128 f64 (8 deep; at 131 or 259 rows, two groups of rows
        // each pack it), both below, at and one past two row tiles of every
        // backend. dW packs 128-deep panels of dY, sixteen at a time: 520 →
        // 128 at 131 (and 259) rows, 97 → 1024 f32 and 43 → 512 f64 (more
        // panels than one pass packs, a short copy of X at each row's end).
        // The same kernels in place, with column tails and groups of rows
        // (129 → 129 splits from 255 rows): 300 → 70, 261 → 37, 97 → 93,
        // 129 → 129, 61 → 300,
        // 43 → 261, 531 → 70, 520 → 37. dX's packed Wᵀ past one block:
        // 41 → 603 f32, 19 → 530 f64. Batch 1 row by row (W past L1, rows
        // past 8 vectors): 97 → 1024, 61 → 300, 43 → 261; two passes (W
        // past L1, short rows): 1024 → 37, whose dW packs at 33 rows with
        // columns left over after the last panel.
        $visit!(f32, 531, 256, &[1, 7, 8, 9, 11, 12, 13, 15, 16, 17]);
        $visit!(f64, 520, 128, &[7, 8, 9, 11, 12, 13, 15, 16, 17, 19, 131, 259]);
        $visit!(f32, 97, 1024, &[1, 32, 65, 131]);
        $visit!(f64, 43, 512, &[13, 32, 70, 131]);
        $visit!(f32, 300, 70, &[11, 12, 13, 20, 33, 520]);
        $visit!(f64, 261, 37, &[12, 14, 19, 300]);
        $visit!(f32, 129, 129, &[254, 255, 256]);
        $visit!(f64, 97, 93, &[12, 262]);
        $visit!(f32, 97, 93, &[400]);
        $visit!(f32, 61, 300, &[1, 12, 64, 65, 131]);
        $visit!(f64, 43, 261, &[1, 13, 64, 70]);
        $visit!(f32, 531, 70, &[12, 13, 33]);
        $visit!(f64, 520, 37, &[12, 19]);
        $visit!(f32, 41, 603, &[7, 8, 12, 13, 31]);
        $visit!(f64, 19, 530, &[12, 17]);
        $visit!(f32, 1024, 37, &[1, 33]);
    };
}
