#!/usr/bin/env python3
"""Runs nasforge's GEMM, conv and training-step benchmarks and the same cases in
PyTorch (CPU) and NumPy/OpenBLAS, in one process run, and prints them side by
side (GFLOP/s, or images/s for the training steps), so the noise of a shared
machine hits every column alike.

The cases come from the benchmark names (bench_gemm.cpp: sgemm/M<m>_N<n>_K<k>;
bench_conv.cpp: conv2d_<pass>/C<c>_H<h>_k<k>_d<d>_g<g>; bench_train.cpp:
train/<model>_<step|forward>_B<batch>; bench_supernet.cpp:
supernet/o<order>_C<channels>_L<cells>_B<batch>, the DARTS bilevel step, whose
PyTorch side is supernet_torch.py), so they live in one place. The supernet rows
also check that both supernets have the same number of weights and show each
side's peak resident memory (VmHWM; torch's includes the ~0.23 GB of its import
and whatever its allocator kept from earlier rows).
Every side uses the same number of threads (--threads, default: all cores).
--filter selects benchmarks by name (e.g. --filter train: the training group
only); --group skips whole executables (e.g. --group train needs only bench_train built).
Each case is measured ours-then-peers, case by case, so a burst of load from
other jobs hits both sides of a row; --rounds N repeats that N times and keeps
each side's best round (the least disturbed one).
Usage: run_peers.py [--build-dir build] [--filter REGEX] [--group gemm,conv,train,supernet]
                    [--min-time 0.5] [--threads N] [--rounds 1]
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
TRAIN_CLASSES = 10  # bench_train.cpp: Fashion-MNIST shape [B,1,28,28], 10 classes


def listed(binary, regex):
    """Names of the benchmarks of one executable that match regex (Google Benchmark's
    own names, with their /real_time suffix)."""
    out = subprocess.run([str(binary), f"--benchmark_filter={regex}", "--benchmark_list_tests=true"],
                         check=True, capture_output=True, text=True, env=os.environ).stdout
    return out.split()  # nothing matched: empty (the complaint goes to stderr)


def ours(binary, name, min_time):
    """The JSON record (counters included) of the one benchmark `name` of a nasforge benchmark executable."""
    out = subprocess.run([str(binary), f"--benchmark_filter=^{name}$", "--benchmark_format=json",
                          f"--benchmark_min_time={min_time}"],
                         check=True, capture_output=True, text=True, env=os.environ).stdout
    (b,) = json.loads(out)["benchmarks"]
    return b


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


def mean_rate(fn, items, min_time):
    """items/s of fn() averaged over calls lasting about min_time in all (after two
    warm-up calls), like Google Benchmark's mean over its iterations."""
    fn(), fn()
    calls, t0 = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        spent = time.perf_counter() - t0
        if spent >= min_time:
            return items * calls / spent


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


def make_model(name):
    """tools/models.cpp's built-in models for [1,28,28] images, layer by layer."""
    nn = torch.nn
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                             nn.Linear(256, TRAIN_CLASSES))

    def conv_bn_relu(i, o):  # conv3x3 pad 1 without bias, BN (affine, eps 1e-5, momentum 0.1), ReLU
        return nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU())
    assert name == "cnn", name
    return nn.Sequential(conv_bn_relu(1, 32), conv_bn_relu(32, 32), nn.MaxPool2d(2), conv_bn_relu(32, 64),
                         conv_bn_relu(64, 64), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(64 * 7 * 7, TRAIN_CLASSES))


def train_peers(name, min_time):
    model, kind, batch = re.fullmatch(r"train/(\w+?)_(step|forward)_B(\d+)", name).groups()
    batch = int(batch)
    torch.manual_seed(0)
    net = make_model(model)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(batch, 1, 28, 28, generator=gen)
    y = torch.randint(TRAIN_CLASSES, (batch,), generator=gen)
    if kind == "step":  # cmd_train.cpp's step: SGD momentum 0.9, weight decay 5e-4, loss read every step
        net.train()
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

        def fn():
            opt.zero_grad(set_to_none=True)  # as ours: gradients dropped, not zeroed
            loss = torch.nn.functional.cross_entropy(net(x), y)
            loss.item()
            loss.backward()
            opt.step()
    else:
        net.eval()

        def fn():
            with torch.no_grad():
                net(x)
    return {"torch": mean_rate(fn, batch, min_time)}


def supernet_peers(name, min_time):
    """bench_supernet.cpp's bilevel step: training images/s, the weight count and peak memory."""
    import supernet_torch as st  # next to this script
    order, channels, cells, batch = map(int, re.fullmatch(r"supernet/o(\d)_C(\d+)_L(\d+)_B(\d+)", name).groups())
    st.reset_peak_rss()  # as ours: the peak of this case, from before the supernet is built
    torch.manual_seed(0)
    net = st.Supernet(channels, cells, (1, 28, 28), TRAIN_CLASSES)
    net.train()
    opt = st.Bilevel(net, order)
    gen = torch.Generator().manual_seed(3)
    xt, yt = torch.randn(batch, 1, 28, 28, generator=gen), torch.randint(TRAIN_CLASSES, (batch,), generator=gen)
    xv, yv = torch.randn(batch, 1, 28, 28, generator=gen), torch.randint(TRAIN_CLASSES, (batch,), generator=gen)
    images_per_s = mean_rate(lambda: opt.step(xt, yt, xv, yv), batch, min_time)
    return {"torch": images_per_s, "weights": st.count(net.weights()), "peak_MiB": st.peak_rss_mib()}


# (group, executable, peers, Google Benchmark counter, scale, unit)
GROUPS = (("gemm", "bench_gemm", gemm_peers, "FLOP/s", 1e9, "GFLOP/s"),
          ("conv", "bench_conv", conv_peers, "FLOP/s", 1e9, "GFLOP/s"),
          ("train", "bench_train", train_peers, "items_per_second", 1.0, "images/s"),
          ("supernet", "bench_supernet", supernet_peers, "items_per_second", 1.0, "images/s"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--filter", default=".", help="regex over benchmark names")
    ap.add_argument("--group", default="gemm,conv,train,supernet",
                    help="comma-separated executables to run: gemm, conv, train, supernet")
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds per measurement")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for every side")
    ap.add_argument("--rounds", type=int, default=1, help="measure each case N times, keep each side's best")
    args = ap.parse_args()
    groups = args.group.split(",")
    unknown = set(groups) - {g[0] for g in GROUPS}
    if unknown:
        sys.exit(f"run_peers: unknown --group {','.join(sorted(unknown))} (valid: gemm, conv, train, supernet)")
    # Before numpy/torch load: OpenBLAS and OpenMP read these once.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    global np, torch
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    bench_dir = Path(args.build_dir) / "bench"
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}")
    unit_shown = None
    for group, exe, peers, counter, scale, unit in GROUPS:
        if group not in groups:
            continue
        binary = bench_dir / exe
        if not binary.exists():
            sys.exit(f"run_peers: {binary} not built (make bench-build, or leave it out with --group)")
        for full_name in listed(binary, args.filter):
            name = full_name.removesuffix("/real_time")
            if unit != unit_shown:  # one header per unit; ratio > 1: nasforge is faster
                print(f"{'benchmark (' + unit + ')':44} {'nasforge':>9} {'torch':>9} {'openblas':>9}  ours/torch")
                unit_shown = unit
            value, p, b = 0.0, {}, {}
            for _ in range(max(args.rounds, 1)):  # higher is better for every column
                b = ours(binary, full_name, args.min_time)
                value = max(value, b[counter] / scale)
                p = {k: max(v, p.get(k, 0.0)) for k, v in peers(name, args.min_time).items()}
            if "weights" in p and p["weights"] != b.get("weights"):  # not the same network: the row means nothing
                sys.exit(f"run_peers: {name}: torch has {p['weights']:,} weights, nasforge {b.get('weights')}")
            blas = f"{p['openblas']:9.1f}" if "openblas" in p else f"{'-':>9}"
            peak = (f"  peak MiB {b['peak_rss_MiB']:.0f} / {p['peak_MiB']:.0f}"
                    if "peak_MiB" in p and "peak_rss_MiB" in b else "")
            print(f"{name:44} {value:9.1f} {p['torch']:9.1f} {blas}  {value / p['torch']:9.2f}x{peak}", flush=True)


if __name__ == "__main__":
    main()
