#!/usr/bin/env python3
"""scipy anchor for the topofr bench: cdist (+ minimum_spanning_tree) on a float32 point file.

usage: scipy_h0.py FILE N DIM --mode cdist|h0 [--runs R] [--warmup W]

Prints one JSON line: per-part median/min/max in ms, the peak RSS of this process, and the MST
weight (mode h0) so the caller can check that both sides computed the same tree.
"""
import argparse
import json
import resource
import statistics
import sys
import time

import numpy as np
import scipy
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial.distance import cdist


def stats(samples):
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("n", type=int)
    ap.add_argument("dim", type=int)
    ap.add_argument("--mode", choices=["cdist", "h0"], required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    args = ap.parse_args()

    x = np.fromfile(args.file, dtype="<f4")
    if x.size != args.n * args.dim:
        sys.exit(f"{args.file}: {x.size} floats, expected {args.n}x{args.dim}")
    x = x.reshape(args.n, args.dim)

    parts = {"cdist": [], "mst": [], "total": []}
    weight = None
    for i in range(args.warmup + args.runs):
        t0 = time.perf_counter()
        d = cdist(x, x)  # scipy computes in float64 whatever the input type
        t1 = time.perf_counter()
        if args.mode == "h0":
            # Dense input: zero entries mean "no edge", which only the diagonal is here.
            mst = minimum_spanning_tree(d)
            weight = float(mst.sum())
            del mst
        t2 = time.perf_counter()
        del d
        if i >= args.warmup:
            parts["cdist"].append((t1 - t0) * 1e3)
            parts["mst"].append((t2 - t1) * 1e3)
            parts["total"].append((t2 - t0) * 1e3)

    out = {
        "name": "scipy cdist" if args.mode == "cdist" else "scipy cdist+MST",
        "scipy": scipy.__version__,
        "runs": args.runs,
        "total_ms": stats(parts["total"]),
        "parts_ms": {"cdist": statistics.median(parts["cdist"])},
        # ru_maxrss is in KiB on Linux.
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if args.mode == "h0":
        out["parts_ms"]["mst"] = statistics.median(parts["mst"])
        out["mst_weight"] = weight
    print(json.dumps(out))


if __name__ == "__main__":
    main()
