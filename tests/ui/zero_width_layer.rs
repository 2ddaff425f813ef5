// Mistake: a layer with no inputs, refused by the crate's const assertion.
// (A `static`, because trybuild runs `cargo check`, which evaluates statics
// but not the post-monomorphization check behind a run-time `zeroed()` call.)
use tinylinear::Linear;

static LAYER: Linear<0, 3> = Linear::zeroed();

fn main() {
    println!("{LAYER:?}");
}
