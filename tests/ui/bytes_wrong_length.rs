// Mistake: weight bytes for a 2 -> 3 layer (56 bytes) baked into a 2 -> 4
// layer, which needs 20 + 4·(2·4 + 4) = 68. The length is checked while the
// `static` is evaluated, so the build fails.
use tinylinear::Linear;

const FILE: [u8; 56] = {
    let mut file = [0u8; 56];
    file[0] = b'T';
    file[1] = b'L';
    file[2] = b'I';
    file[3] = b'N';
    file[4] = 4;
    file[8] = 2;
    file[12] = 4; // the header claims 2 -> 4
    file[16] = 4;
    file
};

static LAYER: Linear<2, 4> = Linear::<2, 4>::from_le_bytes_baked(&FILE);

fn main() {
    println!("{LAYER:?}");
}
