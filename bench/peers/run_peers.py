#!/usr/bin/env python3
"""Runs nasforge's GEMM, conv and training-step benchmarks and the same cases in
PyTorch (CPU) and NumPy/OpenBLAS, in one process run, and prints them side by
side (GFLOP/s, or images/s for the training steps), so the noise of a shared
machine hits every column alike.

The cases come from the benchmark names (bench_gemm.cpp: sgemm[_tn|_nt]/M<m>_N<n>_K<k>;
bench_conv.cpp: conv2d_<pass>/C<c>_H<h>_k<k>_d<d>_g<g>; bench_train.cpp:
train/<model>_<step|forward>_B<batch>; bench_supernet.cpp:
supernet/o<order>_C<channels>_L<cells>_B<batch>, the DARTS bilevel step, whose
PyTorch side is supernet_torch.py; bench_cuda.cpp: cuda/..., the same kinds of
case on the GPU, whose PyTorch side runs on CUDA and is timed with CUDA events:
group cuda), so they live in one place. The supernet rows
also check that both supernets have the same number of weights and show each
side's peak resident memory (VmHWM; torch's includes the ~0.23 GB of its import
and whatever its allocator kept from earlier rows).
Every side uses the same number of threads (--threads, default: all cores).
--filter selects benchmarks by name (e.g. --filter train: the training group
only); --group skips whole executables (e.g. --group train needs only bench_train built).
Each case is measured ours-then-peers, case by case, so a burst of load from
other jobs hits both sides of a row; --rounds N repeats that N times and keeps
each side's best round (the least disturbed one).
--json FILE writes every row (name, unit, nasforge, torch, ratio) as JSON too.
The sgemm rows show OpenBLAS (NumPy's BLAS) twice: "openblas" with the
environment as set (OPENBLAS_CORETYPE included) in this process, and "blas -CT"
in a child process started with OPENBLAS_CORETYPE removed from its environment
(OpenBLAS reads it once, when it loads), so a forced core type and OpenBLAS's
own detection are compared in the same run; the core each side chose is printed.
Each side runs in its own best configuration (--peer-env best, the default):
the script re-executes itself once with OMP_WAIT_POLICY=passive (OpenMP threads
that sleep instead of spinning do not contend with OpenBLAS's threads inside
torch) and glibc malloc thresholds that stop torch's large activations from
being mmap'ed and unmapped at every step (~4x on its CNN step here); nasforge's
executables get the environment the script was started with, OMP_WAIT_POLICY
removed (libgomp's default: spin a while, then sleep), since passive waiting
costs every small op a futex wake-up (SGEMM 128^3 ran at 31 instead of 82 GFLOP/s
under it) -- --ours-wait-policy passive|active sets it instead. --peer-env as-is
runs both sides in the environment as given. The header prints what each side got.
--ours-json FILE[,FILE...] takes nasforge's numbers from Google Benchmark JSON
files written earlier (--benchmark_out) instead of running the executables
(bench/gpu/check.sh: bench_cuda ran once already; a GPU is not a shared core).
The cuda group needs a CUDA build (bench_cuda) and PyTorch with CUDA; without
them it is skipped with a message (exit code 0), so bench/gpu/check.sh can run it
unconditionally. Its torch rows use strict FP32 matmuls (allow_tf32 off) except
cuda/gemm_cublas_tf32, which compares with torch's TF32 matmul.
Usage: run_peers.py [--build-dir build] [--filter REGEX] [--group gemm,conv,train,supernet,cuda]
                    [--min-time 0.5] [--threads N] [--rounds 1] [--json FILE]
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


# The environment torch and NumPy run best in here (see the module docstring).
TORCH_BEST_ENV = {
    "OMP_WAIT_POLICY": "passive",
    "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296",
}
# Set in the re-executed process: the values of TORCH_BEST_ENV's variables the
# user started the script with (JSON; null = unset), so nasforge gets those.
ORIGINAL_ENV_VAR = "NF_PEERS_ORIGINAL_ENV"
OURS_ENV = dict(os.environ)  # the environment of nasforge's executables (main() settles it)


def listed(binary, regex):
    """Names of the benchmarks of one executable that match regex (Google Benchmark's
    own names, with their /real_time suffix)."""
    out = subprocess.run([str(binary), f"--benchmark_filter={regex}", "--benchmark_list_tests=true"],
                         check=True, capture_output=True, text=True, env=OURS_ENV).stdout
    return out.split()  # nothing matched: empty (the complaint goes to stderr)


def ours(binary, name, min_time):
    """The JSON record (counters included) of the one benchmark `name` of a nasforge benchmark executable."""
    out = subprocess.run([str(binary), f"--benchmark_filter=^{name}$", "--benchmark_format=json",
                          f"--benchmark_min_time={min_time}"],
                         check=True, capture_output=True, text=True, env=OURS_ENV).stdout
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


def openblas_core():
    """The core type the OpenBLAS loaded in this process runs its kernels for
    (openblas_get_corename), or '?' when that cannot be asked."""
    import ctypes
    try:
        with open("/proc/self/maps") as maps:
            libs = sorted({ln.split()[-1] for ln in maps if "blas" in ln.rsplit("/", 1)[-1]})
        for lib in libs:
            fn = getattr(ctypes.CDLL(lib), "openblas_get_corename", None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode()
    except OSError:
        pass
    return "?"


# The child of openblas_without_coretype(): argv = m n k min_time; prints
# "<GFLOP/s> <core>". It imports this file for rate() (numpy loads only here).
_OPENBLAS_CHILD = """
import sys
sys.path.insert(0, sys.argv[5])
import numpy as np
import run_peers
m, n, k, min_time, layout = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[6]
a, b = run_peers.gemm_operands(np.random.default_rng(42), m, n, k, layout)
print(run_peers.rate(lambda: a @ b, 2.0 * m * n * k, min_time), run_peers.openblas_core())
"""


def gemm_operands(rng, m, n, k, layout):
    """NumPy A [m,k] and B [k,n] for a bench_gemm layout: "_tn" stores A as [k,m] and
    "_nt" B as [n,k], each used through a transposed view (BLAS's trans flags)."""
    draw = lambda *shape: rng.standard_normal(shape, dtype="float32")
    a = draw(k, m).T if layout == "_tn" else draw(m, k)
    b = draw(n, k).T if layout == "_nt" else draw(k, n)
    return a, b


def openblas_without_coretype(m, n, k, layout, min_time):
    """(GFLOP/s, core) of NumPy's SGEMM in a child process whose environment lacks
    OPENBLAS_CORETYPE (and is otherwise this one's: same thread counts)."""
    env = {key: v for key, v in os.environ.items() if key != "OPENBLAS_CORETYPE"}
    out = subprocess.run([sys.executable, "-c", _OPENBLAS_CHILD, str(m), str(n), str(k), str(min_time),
                          str(Path(__file__).resolve().parent), layout],
                         check=True, capture_output=True, text=True, env=env).stdout.split()
    return float(out[0]), out[1]


OPENBLAS_UNSET_CORE = {}  # the core the child processes reported (printed once at the end)


def gemm_peers(name, min_time):
    layout, m, n, k = re.fullmatch(r"sgemm(_tn|_nt)?/M(\d+)_N(\d+)_K(\d+)", name).groups()
    layout, m, n, k = layout or "", int(m), int(n), int(k)
    an, bn = gemm_operands(np.random.default_rng(42), m, n, k, layout)
    a, b = torch.from_numpy(an), torch.from_numpy(bn)  # the same transposed views
    flops = 2.0 * m * n * k
    unset_rate, OPENBLAS_UNSET_CORE["core"] = openblas_without_coretype(m, n, k, layout, min_time)
    return {"torch": rate(lambda: torch.mm(a, b), flops, min_time),
            "openblas": rate(lambda: an @ bn, flops, min_time),
            "openblas_coretype_unset": unset_rate}


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


def cuda_time(fn, min_time):
    """Mean device seconds of fn(), timed with CUDA events around each call (as
    bench_cuda.cpp), over calls lasting about min_time in all, after one warm-up."""
    fn()
    torch.cuda.synchronize()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    total, calls = 0.0, 0
    while total < min_time or calls < 3:
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        total += start.elapsed_time(stop) / 1e3
        calls += 1
    return total / calls


def cuda_metric(name):
    """(counter, scale, unit) of a bench_cuda case: its counters are already in these units."""
    if re.match(r"cuda/(gemm_|conv2d_)", name):
        return "GFLOP/s", 1.0, "GFLOP/s"
    if re.match(r"cuda/(train|supernet)/", name):
        return "items_per_second", 1.0, "images/s"
    return "GB/s", 1.0, "GB/s"


def cuda_peers(name, min_time):
    """bench_cuda.cpp's cases in PyTorch on cuda:0, on random data."""
    dev = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False  # strict FP32, as ours unless the row says tf32
    torch.backends.cudnn.allow_tf32 = False
    gen = torch.Generator(device=dev).manual_seed(1)
    randn = lambda *shape: torch.randn(*shape, device=dev, generator=gen)
    m = re.fullmatch(r"cuda/gemm_(\w+)/N(\d+)", name)
    if m:
        n = int(m.group(2))
        a, b = randn(n, n), randn(n, n)
        torch.backends.cuda.matmul.allow_tf32 = m.group(1) == "cublas_tf32"
        try:
            return {"torch": 2.0 * n ** 3 / cuda_time(lambda: torch.mm(a, b), min_time) / 1e9}
        finally:
            torch.backends.cuda.matmul.allow_tf32 = False
    m = re.fullmatch(r"cuda/(memcpy|add|mul|relu|sum|max)/n(\d+)", name)
    if m:
        op, n = m.group(1), int(m.group(2))
        a, b, out = randn(n), randn(n), torch.empty(n, device=dev)
        fn, tensors_moved = {"memcpy": (lambda: out.copy_(a), 2), "add": (lambda: torch.add(a, b), 3),
                             "mul": (lambda: torch.mul(a, b), 3), "relu": (lambda: torch.relu(a), 2),
                             "sum": (lambda: a.sum(), 1), "max": (lambda: a.max(), 1)}[op]
        return {"torch": 4.0 * n * tensors_moved / cuda_time(fn, min_time) / 1e9}
    m = re.fullmatch(r"cuda/sum_rows/R(\d+)_C(\d+)", name)
    if m:
        r, c = map(int, m.groups())
        x = randn(r, c)
        return {"torch": 4.0 * r * (c + 1) / cuda_time(lambda: x.sum(1), min_time) / 1e9}
    m = re.fullmatch(r"cuda/conv2d_(\w+)/C(\d+)_H(\d+)_k(\d+)_d(\d+)_g(\d+)", name)
    if m:
        pas = m.group(1)
        c, h, k, d, g = map(int, m.groups()[1:])
        x, w, gy = randn(CONV_BATCH, c, h, h), randn(c, c // g, k, k), randn(CONV_BATCH, c, h, h)
        pad = d * (k - 1) // 2
        mask = {"forward": None, "backward_input": [True, False, False],
                "backward_weight": [False, True, False]}[pas]
        if mask is None:
            fn = lambda: torch.nn.functional.conv2d(x, w, None, 1, pad, d, g)
        else:
            fn = lambda: torch.ops.aten.convolution_backward(
                gy, x, w, None, [1, 1], [pad, pad], [d, d], False, [0, 0], g, mask)
        flops = 2.0 * CONV_BATCH * c * h * h * (c // g) * k * k
        return {"torch": flops / cuda_time(fn, min_time) / 1e9}
    m = re.fullmatch(r"cuda/train/(\w+?)_step_B(\d+)", name)
    if m:
        batch = int(m.group(2))
        torch.manual_seed(0)
        net = make_model(m.group(1)).to(dev)
        net.train()
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        x, y = randn(batch, 1, 28, 28), torch.randint(TRAIN_CLASSES, (batch,), device=dev, generator=gen)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(net(x), y)
            loss.item()
            loss.backward()
            opt.step()
        return {"torch": batch / cuda_time(step, min_time)}
    m = re.fullmatch(r"cuda/supernet/o(\d)_C(\d+)_L(\d+)_B(\d+)", name)
    if m:
        import supernet_torch as st  # next to this script
        order, channels, cells, batch = map(int, m.groups())
        torch.manual_seed(0)
        net = st.Supernet(channels, cells, (1, 28, 28), TRAIN_CLASSES).to(dev)
        net.train()
        opt = st.Bilevel(net, order)  # after the move: the optimizers hold the CUDA parameters
        xt, xv = randn(batch, 1, 28, 28), randn(batch, 1, 28, 28)
        yt = torch.randint(TRAIN_CLASSES, (batch,), device=dev, generator=gen)
        yv = torch.randint(TRAIN_CLASSES, (batch,), device=dev, generator=gen)
        return {"torch": batch / cuda_time(lambda: opt.step(xt, yt, xv, yv), min_time),
                "weights": st.count(net.weights())}
    raise ValueError(f"run_peers: no PyTorch case for {name}")


# (group, executable, peers, Google Benchmark counter, scale, unit); the cuda
# group's counter and unit depend on the case (cuda_metric).
GROUPS = (("gemm", "bench_gemm", gemm_peers, "FLOP/s", 1e9, "GFLOP/s"),
          ("conv", "bench_conv", conv_peers, "FLOP/s", 1e9, "GFLOP/s"),
          ("train", "bench_train", train_peers, "items_per_second", 1.0, "images/s"),
          ("supernet", "bench_supernet", supernet_peers, "items_per_second", 1.0, "images/s"),
          ("cuda", "bench_cuda", cuda_peers, None, 1.0, None))


def settle_environments(args):
    """Under --peer-env best: re-executes this script once with TORCH_BEST_ENV (glibc
    reads GLIBC_TUNABLES, libgomp OMP_WAIT_POLICY, only when a process starts), and
    gives nasforge's executables the original environment with the chosen wait policy."""
    if args.peer_env == "as-is":
        return
    if ORIGINAL_ENV_VAR not in os.environ:
        env = dict(os.environ, **TORCH_BEST_ENV)
        env[ORIGINAL_ENV_VAR] = json.dumps({k: os.environ.get(k) for k in TORCH_BEST_ENV})
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    OURS_ENV.clear()
    OURS_ENV.update({k: v for k, v in os.environ.items() if k not in TORCH_BEST_ENV and k != ORIGINAL_ENV_VAR})
    OURS_ENV.update({k: v for k, v in json.loads(os.environ[ORIGINAL_ENV_VAR]).items()
                     if v is not None and k != "OMP_WAIT_POLICY"})
    if args.ours_wait_policy != "default":
        OURS_ENV["OMP_WAIT_POLICY"] = args.ours_wait_policy


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--filter", default=".", help="regex over benchmark names")
    ap.add_argument("--group", default="gemm,conv,train,supernet",
                    help="comma-separated executables to run: gemm, conv, train, supernet, cuda")
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds per measurement")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for every side")
    ap.add_argument("--rounds", type=int, default=1, help="measure each case N times, keep each side's best")
    ap.add_argument("--json", help="also write the rows to this file as JSON")
    ap.add_argument("--ours-json", help="comma-separated Google Benchmark JSON files with nasforge's results")
    ap.add_argument("--peer-env", choices=("best", "as-is"), default="best",
                    help="best: each side in its best configuration (default); as-is: the environment as given")
    ap.add_argument("--ours-wait-policy", choices=("default", "passive", "active"), default="default",
                    help="OMP_WAIT_POLICY for nasforge's executables under --peer-env best")
    args = ap.parse_args()
    settle_environments(args)
    groups = args.group.split(",")
    unknown = set(groups) - {g[0] for g in GROUPS}
    if unknown:
        sys.exit(f"run_peers: unknown --group {','.join(sorted(unknown))} (valid: gemm, conv, train, supernet, cuda)")
    # Before numpy/torch load: OpenBLAS and OpenMP read these once.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = OURS_ENV[var] = str(args.threads)
    global np, torch
    try:
        import numpy as np
        import torch
    except ImportError as e:  # the GPU check runs this unconditionally: say why, and let it go on
        print(f"run_peers: PyTorch/NumPy not available ({e}); no peer numbers")
        sys.exit(0 if groups == ["cuda"] else 1)
    torch.set_num_threads(args.threads)
    bench_dir = Path(args.build_dir) / "bench"
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}")
    for side, env in (("torch/numpy", os.environ), ("nasforge", OURS_ENV)):
        print(f"{side}: " + ", ".join(f"{k}={env.get(k, '(unset)')}" for k in TORCH_BEST_ENV))
    if "gemm" in groups:
        print(f"openblas: OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, core "
              f"{openblas_core()}; 'blas -CT': the same with OPENBLAS_CORETYPE unset (child process)")
    unit_shown = None
    rows = []
    recorded = {}  # --ours-json: benchmark name -> its record
    for f in filter(None, (args.ours_json or "").split(",")):
        try:
            for rec in json.loads(Path(f).read_text()).get("benchmarks", []):
                recorded[rec["name"]] = rec
        except (OSError, ValueError) as e:  # a run cut short leaves a torn file: use what can be read
            print(f"run_peers: {f}: {e}", flush=True)
    for group, exe, peers, group_counter, group_scale, group_unit in GROUPS:
        if group not in groups:
            continue
        binary = bench_dir / exe
        if recorded:  # the recorded cases of this executable only
            names = [n for n in recorded if re.search(args.filter, n) and
                     (n.startswith("cuda/") if group == "cuda" else not n.startswith("cuda/"))]
            if not names:
                continue
        if group == "cuda" and not ((recorded or binary.exists()) and torch.cuda.is_available()):
            why = f"{binary} not built (a CUDA build with NF_BUILD_BENCH=ON)" if not binary.exists() else \
                f"torch {torch.__version__} sees no CUDA device"
            print(f"run_peers: group cuda skipped: {why}", flush=True)
            continue
        if not recorded and not binary.exists():
            sys.exit(f"run_peers: {binary} not built (make bench-build, or leave it out with --group)")
        for full_name in (names if recorded else listed(binary, args.filter)):
            name = full_name.removesuffix("/real_time").removesuffix("/manual_time")
            counter, scale, unit = cuda_metric(name) if group_counter is None else \
                (group_counter, group_scale, group_unit)
            if unit != unit_shown:  # one header per unit; ratio > 1: nasforge is faster
                print(f"{'benchmark (' + unit + ')':44} {'nasforge':>9} {'torch':>9} {'openblas':>9} "
                      f"{'blas -CT':>9}  ours/torch")
                unit_shown = unit
            value, p, b = 0.0, {}, {}
            for _ in range(max(args.rounds, 1)):  # higher is better for every column
                try:
                    b = recorded[full_name] if recorded else ours(binary, full_name, args.min_time)
                except subprocess.CalledProcessError as e:  # a crash ends this case only
                    b = {"error_message": f"{exe} exited with {e.returncode}: {e.stderr.strip()[-300:]}"}
                if counter not in b:  # skipped (e.g. an op the CUDA backend lacks): say why, go on
                    print(f"{name:44} skipped: {b.get('error_message', 'no ' + counter + ' counter')}", flush=True)
                    break
                value = max(value, b[counter] / scale)
                p = {k: max(v, p.get(k, 0.0)) for k, v in peers(name, args.min_time).items()}
            if "weights" in p and p["weights"] != b.get("weights"):  # not the same network: the row means nothing
                sys.exit(f"run_peers: {name}: torch has {p['weights']:,} weights, nasforge {b.get('weights')}")
            blas = " ".join(f"{p[key]:9.1f}" if key in p else f"{'-':>9}"
                            for key in ("openblas", "openblas_coretype_unset"))
            peak = (f"  peak MiB {b['peak_rss_MiB']:.0f} / {p['peak_MiB']:.0f}"
                    if "peak_MiB" in p and "peak_rss_MiB" in b else "")
            if counter not in b:
                rows.append({"name": name, "unit": unit, "nasforge": None, "torch": None, "ratio": None,
                             "error": b.get("error_message", "")})
                continue
            print(f"{name:44} {value:9.1f} {p['torch']:9.1f} {blas}  {value / p['torch']:9.2f}x{peak}", flush=True)
            rows.append({"name": name, "unit": unit, "nasforge": value, "torch": p["torch"],
                         "ratio": value / p["torch"],
                         **{key: p[key] for key in ("openblas", "openblas_coretype_unset") if key in p}})
    if OPENBLAS_UNSET_CORE:
        print(f"openblas with OPENBLAS_CORETYPE unset chose core {OPENBLAS_UNSET_CORE['core']}")
    if args.json:
        Path(args.json).write_text(json.dumps({"torch": torch.__version__, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
