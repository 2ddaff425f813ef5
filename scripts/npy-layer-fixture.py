#!/usr/bin/env python3
"""Writes the fixtures that check examples/write_weights against numpy.

For two small layers it saves the arrays as numpy would hand them over
(one in PyTorch's d_out x d_in layout, float32; one already d_in x d_out,
float64) and, next to them, the layer file that the tinylinear::bytes
format says those arrays must become, packed here with numpy and struct
alone. .ci/firmware runs the tool on the .npy files and compares bytes.

    python3 scripts/npy-layer-fixture.py   # needs numpy; rewrites tests/fixtures/npy/
"""
import pathlib
import struct

import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "npy"


def layer_file(weight_din_dout, bias, dtype):
    """The documented format: b"TLIN", u32 element size, d_in, d_out, bias
    length, then W (d_in x d_out, row-major), then b, all little-endian."""
    d_in, d_out = weight_din_dout.shape
    header = b"TLIN" + struct.pack("<4I", np.dtype(dtype).itemsize, d_in, d_out, len(bias))
    body = np.ascontiguousarray(weight_din_dout, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()
    return header + body + np.asarray(bias, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2026)

    # nn.Linear(5, 3): weight is d_out x d_in = 3 x 5.
    torch_weight = rng.standard_normal((3, 5)).astype(np.float32)
    torch_bias = rng.standard_normal(3).astype(np.float32)
    np.save(OUT / "torch_weight.npy", torch_weight)
    np.save(OUT / "torch_bias.npy", torch_bias)
    (OUT / "torch.bin").write_bytes(layer_file(torch_weight.T, torch_bias, np.float32))

    # Already the crate's d_in x d_out (7 x 2), in float64, without a bias.
    crate_weight = rng.standard_normal((7, 2))
    np.save(OUT / "crate_weight.npy", crate_weight)
    (OUT / "crate_no_bias.bin").write_bytes(layer_file(crate_weight, [], np.float64))


if __name__ == "__main__":
    main()
