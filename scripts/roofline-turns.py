#!/usr/bin/env python3
"""Reads the roofline outputs scripts/roofline-turns wrote and prints, per
shape and pass, the median over the runs of each run's median speed
(GFLOP/s: more digits than the µs column at small shapes) for both commits,
the time ratio after/before that they give, and the ratio to gemm timed
beside each (which cancels drift within a run).

    scripts/roofline-turns.py DIR CPU BEFORE AFTER RUNS
"""
import statistics
import sys

directory, cpu, before, after, runs = sys.argv[1:6]


def rows(commit, run):
    """(shape, pass) -> (GFLOP/s of the median time, × gemm) from one run's table."""
    table, found = {}, False
    with open(f"{directory}/{cpu}-{commit}-{run}.txt") as text:
        for line in text:
            if line.startswith("shape "):
                found = True
                continue
            if not found or line.startswith("%") or line.startswith("gemm ="):
                continue
            fields = line.split()
            # "f32 32, 128 → 64" is five fields; then pass, and 12 numbers.
            if len(fields) < 14:
                continue
            shape, kind = " ".join(fields[:-13]), fields[-13]
            table[(shape, kind)] = (float(fields[-6]), float(fields[-1]))
    return table


def medians(commit):
    samples = [rows(commit, run) for run in range(1, int(runs) + 1)]
    keys = samples[0].keys()
    return {
        key: (statistics.median(s[key][0] for s in samples), statistics.median(s[key][1] for s in samples))
        for key in keys
    }


old, new = medians(before), medians(after)
print(f"\n{cpu}: medians of {runs} runs in turns, {before} (before) and {after} (after)")
print(f"{'shape':<22} {'pass':<9} {'GFLOP/s before':>14} {'after':>7} {'time after/before':>18} {'× gemm before':>14} {'× gemm after':>13}")
worst = 0.0
for key in old:
    if key not in new:
        continue
    ratio = old[key][0] / new[key][0]  # time after / time before
    worst = max(worst, ratio)
    print(f"{key[0]:<22} {key[1]:<9} {old[key][0]:>14.1f} {new[key][0]:>7.1f} {ratio:>18.3f} {old[key][1]:>14.2f} {new[key][1]:>13.2f}")
print(f"slowest after/before: {worst:.3f}")
