#!/usr/bin/env python3
"""Runs nasforge's GEMM and conv benchmarks and the same shapes in PyTorch (CPU)
and NumPy/OpenBLAS, in one process run, and prints GFLOP/s side by side, so the
noise of a shared machine hits every column alike.

The shapes come from the benchmark names (bench_gemm.cpp: sgemm/M<m>_N<n>_K<k>;
bench_conv.cpp: conv2d_<pass>/C<c>_H<h>_k<k>_d<d>_g<g>), so they live in one place.
Every side uses the same number of threads (--threads, default: all cores).
Usage: run_peers.py [--build-dir build] [--filter REGEX] [--min-time 0.5] [--threads N]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

CONV_BATCH = 64  # bench_conv.cpp's kBatch


def ours(binary, regex, min_time):
    """{benchmark name: GFLOP/s} from one nasforge benchmark executable."""
    out = subprocess.run([str(binary), f"--benchmark_filter={regex}", "--benchmark_format=json",
                          f"--benchmark_min_time={min_time}"],
                         check=True, capture_output=True, text=True, env=os.environ).stdout
    return {b["name"].removesuffix("/real_time"): b["FLOP/s"] / 1e9
            for b in json.loads(out)["benchmarks"]}


def rate(fn, flops, min_time):
    """GFLOP/s of fn() (best of repeated batches lasting about min_time in all)."""
    fn()  # warm-up: allocations, thread pools
    best, spent = float("inf"), 0.0
    while spent < min_time:
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best, spent = min(best, dt), spent + dt
    return flops / best / 1e9


def gemm_peers(name, min_time):
    m, n, k = map(int, re.fullmatch(r"sgemm/M(\d+)_N(\d+)_K(\d+)", name).groups())
    g = torch.Generator().manual_seed(42)
    a, b = torch.randn(m, k, generator=g), torch.randn(k, n, generator=g)
    an, bn = a.numpy(), b.numpy()
    flops = 2.0 * m * n * k
    return {"torch": rate(lambda: torch.mm(a, b), flops, min_time),
            "openblas": rate(lambda: an @ bn, flops, min_time)}


def conv_peers(name, min_time):
    pat = r"conv2d_(\w+)/C(\d+)_H(\d+)_k(\d+)_d(\d+)_g(\d+)"
    pas, c, h, k, d, g = re.fullmatch(pat, name).groups()
    c, h, k, d, g = map(int, (c, h, k, d, g))
    gen = torch.Generator().manual_seed(7)
    x = torch.randn(CONV_BATCH, c, h, h, generator=gen)
    w = torch.randn(c, c // g, k, k, generator=gen)
    gy = torch.randn(CONV_BATCH, c, h, h, generator=gen)
    pad = d * (k - 1) // 2
    mask = {"forward": None, "backward_input": [True, False, False],
            "backward_weight": [False, True, False]}[pas]
    if mask is None:
        fn = lambda: torch.nn.functional.conv2d(x, w, None, 1, pad, d, g)
    else:
        fn = lambda: torch.ops.aten.convolution_backward(
            gy, x, w, None, [1, 1], [pad, pad], [d, d], False, [0, 0], g, mask)
    flops = 2.0 * CONV_BATCH * c * h * h * (c // g) * k * k
    return {"torch": rate(fn, flops, min_time)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--filter", default=".", help="regex over benchmark names")
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds per measurement")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for every side")
    args = ap.parse_args()
    # Before numpy/torch load: OpenBLAS and OpenMP read these once.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    global np, torch
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    bench_dir = Path(args.build_dir) / "bench"
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}")
    print(f"{'benchmark':44} {'nasforge':>9} {'torch':>9} {'openblas':>9}  ours/torch")
    for exe, peers in (("bench_gemm", gemm_peers), ("bench_conv", conv_peers)):
        binary = bench_dir / exe
        if not binary.exists():
            sys.exit(f"run_peers: {binary} not built (make bench-build)")
        for name, gflops in ours(binary, args.filter, args.min_time).items():
            p = peers(name, args.min_time)
            blas = f"{p['openblas']:9.1f}" if "openblas" in p else f"{'-':>9}"
            print(f"{name:44} {gflops:9.1f} {p['torch']:9.1f} {blas}  {gflops / p['torch']:9.2f}x")


if __name__ == "__main__":
    main()
