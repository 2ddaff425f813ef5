#!/usr/bin/env python3
"""Innermost loops of one function in `objdump -d --no-show-raw-insn` output
(stdin), with instructions and multiply-accumulates per iteration.

A loop is a backward branch and the code from its target to it; innermost
loops contain no other. MACs count lanes: an AVX2 vfmadd*ps is 8, an
aarch64 fmla .4s is 4, a VFP vmla/vfma.f32 is 1.

    objdump -d --no-show-raw-insn BINARY | scripts/loops.py SYMBOL
"""
import re
import sys

symbol = sys.argv[1]
functions, current = {}, None
for line in sys.stdin:
    header = re.match(r"^([0-9a-f]+) <(.*)>:$", line.strip())
    if header:
        name = header.group(2)
        current = name if name.startswith(symbol) else None
        if current:
            functions.setdefault(current, [])
        continue
    m = re.match(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
    if current and m:
        functions[current].append((int(m.group(1), 16), m.group(2), m.group(3)))

def macs(mnemonic, operands):
    if re.match(r"vfmadd\d+ps|vfnmadd\d+ps", mnemonic):
        return 8 if "ymm" in operands else 4
    if re.match(r"vfmadd\d+pd", mnemonic):
        return 4 if "ymm" in operands else 2
    if mnemonic == "fmla":
        return 4 if ".4s" in operands else 2 if ".2d" in operands or ".2s" in operands else 1
    if re.match(r"v(fma|mla)\.f32", mnemonic):
        return 1
    return 0

def report(name, lines):
    loops = []
    for i, (address, mnemonic, operands) in enumerate(lines):
        branch = re.match(r"^(b|b\.\w+|b[a-z]{2}(\.[nw])?|j[a-z]+|cb\w+|tb\w+)$", mnemonic)
        target = re.match(r"^(?:.*,\s*)?#?(?:0x)?([0-9a-f]+)\b", operands)
        if branch and target:
            to = int(target.group(1), 16)
            if lines[0][0] <= to <= address:
                loops.append((to, address))
    innermost = [l for l in loops if not any(o != l and l[0] <= o[0] and o[1] <= l[1] for o in loops)]
    for start, end in sorted(set(innermost)):
        body = [(m, o) for a, m, o in lines if start <= a <= end]
        n, k = len(body), sum(macs(m, o) for m, o in body)
        if k:
            print(f"{name}: loop {start:#x}-{end:#x}: {n} instructions, {k} MACs: {n / k:.2f} instructions per MAC")


for name, lines in functions.items():
    report(name, lines)
