#!/usr/bin/env python3
"""Writes the markdown summary of bench/gpu/check.sh from what the stages left:
bench_cuda's Google Benchmark JSON, run_peers.py's --json rows (PyTorch CUDA) and
the test log (check.sh's "RESULT <exe> rc=.. passed=.. failed=.. skipped=.." lines). Any input may be missing or torn (a stage that timed out): the
summary then says so for the rows it concerns instead of failing.

Targets (issue 7):
  hand SGEMM >= 90 % of cuBLAS FP32 at 4096 (both ours: cuda/gemm_hand vs cuda/gemm_cublas)
  elementwise and reductions >= 85 % of a device-to-device copy's GB/s at the same n
  DARTS bilevel step >= 1.0x PyTorch CUDA (cuda/supernet rows, images/s)
Usage: summary.py --bench FILE --peers FILE --tests FILE [--stages FILE] > summary.md
"""
import argparse
import json
import re
from pathlib import Path


def load_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError, TypeError):
        return None


def bench_rows(path):
    """name (without /manual_time) -> (value, unit) or (None, error) from Google Benchmark JSON."""
    data = load_json(path) or {}
    out = {}
    for b in data.get("benchmarks", []):
        name = b["name"].removesuffix("/manual_time")
        if b.get("error_occurred"):
            out[name] = (None, b.get("error_message", "error"))
            continue
        for counter, unit in (("GFLOP/s", "GFLOP/s"), ("GB/s", "GB/s"), ("items_per_second", "images/s")):
            if counter in b:
                out[name] = (b[counter], unit)
                break
    return out


def fmt(v):
    return "-" if v is None else f"{v:,.1f}"


def verdict(ratio, target):
    if ratio is None:
        return "not measured"
    return "PASS" if ratio >= target else "FAIL"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--peers", required=True)
    ap.add_argument("--tests", required=True)
    ap.add_argument("--stages", help="a file of 'stage: status' lines written by check.sh")
    args = ap.parse_args()
    ours = bench_rows(args.bench)
    peers_data = load_json(args.peers) or {}
    torch = {r["name"]: r for r in peers_data.get("rows", [])}

    print("# nasforge GPU check\n")
    if args.stages and Path(args.stages).exists():
        print("| stage | status |\n| --- | --- |")
        for line in Path(args.stages).read_text().splitlines():
            stage, _, status = line.partition(": ")
            print(f"| {stage} | {status} |")
        print()

    text = Path(args.tests).read_text(errors="replace") if Path(args.tests).exists() else ""
    results = re.findall(r"^RESULT (\S+) rc=(\S+) passed=(\d*) failed=(\d*) skipped=(\d*)", text, re.M)
    print("## Tests (CUDA parity and device tests)\n")
    if results:
        print("| executable | exit | passed | failed | skipped | failed tests |\n| --- | --- | --- | --- | --- | --- |")
        for exe, rc, passed, failed, skipped in results:
            block = text.split(f"RESULT {exe} ")[0].rsplit("RESULT ", 1)[-1]  # this executable's output
            names = sorted(set(re.findall(r"^\[  FAILED  \] (\w+\.\w+)", block, re.M)))
            print(f"| {exe} | {rc} | {passed or 0} | {failed or 0} | {skipped or 0} | {', '.join(names)[:300]} |")
        print()
    else:
        print("no test results (the stage did not run; see tests.log and check.log)\n")

    def value(name):
        return ours.get(name, (None, "not run"))[0]

    print("## Targets\n")
    print("| target | nasforge | reference | ratio | goal | verdict |")
    print("| --- | --- | --- | --- | --- | --- |")
    hand, cublas = value("cuda/gemm_hand/N4096"), value("cuda/gemm_cublas/N4096")
    ratio = hand / cublas if hand and cublas else None
    print(f"| hand SGEMM 4096 vs cuBLAS FP32 (GFLOP/s) | {fmt(hand)} | {fmt(cublas)} | "
          f"{'-' if ratio is None else f'{ratio:.2f}'} | >= 0.90 | {verdict(ratio, 0.90)} |")
    sizes = sorted({int(n.split("/n")[-1]) for n in ours if re.fullmatch(r"cuda/memcpy/n\d+", n)})
    n = sizes[-1] if sizes else 1 << 26
    copy = value(f"cuda/memcpy/n{n}")
    for op in ("add", "mul", "relu", "sum", "max"):
        v = value(f"cuda/{op}/n{n}")
        ratio = v / copy if v and copy else None
        print(f"| {op} n={n} vs device copy (GB/s) | {fmt(v)} | {fmt(copy)} | "
              f"{'-' if ratio is None else f'{ratio:.2f}'} | >= 0.85 | {verdict(ratio, 0.85)} |")
    if not any(n.startswith("cuda/supernet/") for n in ours):
        print("| DARTS step vs PyTorch CUDA (images/s) | - | - | - | >= 1.00 | not measured |")
    for name in sorted(n for n in ours if n.startswith("cuda/supernet/")):
        v, t = value(name), torch.get(name, {}).get("torch")
        ratio = v / t if v and t else None
        print(f"| DARTS step {name.split('/')[-1]} vs PyTorch CUDA (images/s) | {fmt(v)} | {fmt(t)} | "
              f"{'-' if ratio is None else f'{ratio:.2f}'} | >= 1.00 | {verdict(ratio, 1.0)} |")

    print("\n## Every case\n")
    print(f"PyTorch: {peers_data.get('torch', 'not run')}. Ratio = nasforge / PyTorch CUDA (higher: nasforge faster).\n")
    print("| case | unit | nasforge | PyTorch CUDA | ratio | note |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (v, unit_or_error) in ours.items():
        t = torch.get(name, {}).get("torch")
        if v is None:
            print(f"| {name} | | - | {fmt(t)} | - | skipped: {unit_or_error[:120]} |")
            continue
        ratio = f"{v / t:.2f}" if t else "-"
        print(f"| {name} | {unit_or_error} | {fmt(v)} | {fmt(t)} | {ratio} | |")
    if not ours:
        print("| (bench_cuda did not run or left no results: see check.log) | | | | | |")


if __name__ == "__main__":
    main()
