#!/usr/bin/env bash
# The GPU check of nasforge, one prepared script for a lent H200 (sm_90):
#   1. configure + build Release for sm_90 (ccache when present, -j16): the CUDA
#      test executables, test_cli_device, nasforge and bench_cuda;
#   2. the CUDA parity and device tests: every test_cuda_* executable and
#      test_cli_device (each under its own timeout; a crash ends only its own);
#   3. bench_cuda (hand SGEMM vs cuBLAS, bandwidth vs a device copy, convolutions,
#      a cnn training step and DARTS bilevel steps), in four groups;
#   4. bench/peers/run_peers.py --group cuda: the same cases in PyTorch CUDA;
#   5. bench/gpu/summary.py: $OUT/summary.md, the targets table and every case.
# Everything lands in $OUT as it is made (at most 8 files: summary.md, check.log,
# build.log, tests.log, bench_cuda.json, peers_cuda.json, stages.txt), so a stage
# that hangs still leaves the earlier results. Each stage has its own timeout and
# the whole script stays within CHECK_BUDGET seconds (default 480: 8 minutes).
#
# Run from the repository root on the device machine, e.g.
#   bash bench/gpu/check.sh            (OUT defaults to /tmp/nf-gpu-check-out)
# If the machine lacks GoogleTest, Google Benchmark, nlohmann-json, stb or zlib
# headers, run bench/gpu/gather_deps.sh here first and carry .gpu-deps: it is
# added to CMAKE_PREFIX_PATH and (after the system's) to the include path.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
OUT=${OUT:-/tmp/nf-gpu-check-out}
BUDGET=${CHECK_BUDGET:-480}
BUILD=${CHECK_BUILD_DIR:-$ROOT/build-gpu}
WORK=$(mktemp -d /tmp/nf-gpu-check.XXXXXX)
mkdir -p "$OUT"
START=$(date +%s)
STAGES=$OUT/stages.txt
: >"$STAGES"
exec > >(tee -a "$OUT/check.log") 2>&1

left() { echo $((BUDGET - ($(date +%s) - START))); }
# stage_timeout CAP: CAP seconds, or less when the budget (minus 25 s for the summary) is shorter.
stage_timeout() {
  local l=$(($(left) - 25))
  ((l < $1)) && echo $((l > 5 ? l : 5)) || echo "$1"
}
record() { echo "$1: $2" >>"$STAGES"; echo "== $1: $2 ($(($(date +%s) - START)) s elapsed)"; }
summary() {
  timeout 20 python3 bench/gpu/summary.py --bench "$OUT/bench_cuda.json" --peers "$OUT/peers_cuda.json" \
    --tests "$OUT/tests.log" --stages "$STAGES" >"$WORK/summary.md" 2>>"$OUT/check.log" &&
    cp "$WORK/summary.md" "$OUT/summary.md"
}
# Runs a stage under a timeout; records ok / failed (rc) / timed out.
run_stage() {
  local name=$1 cap=$2
  shift 2
  local t rc
  t=$(stage_timeout "$cap")
  echo "== $name (timeout ${t} s)"
  timeout --kill-after=5 "$t" "$@"
  rc=$?
  if ((rc == 0)); then record "$name" ok
  elif ((rc == 124 || rc == 137)); then record "$name" "timed out after ${t} s"
  else record "$name" "failed (exit $rc)"; fi
  return $rc
}

echo "== environment"
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv 2>&1 | head -3
  nvcc --version 2>&1 | tail -2
  cmake --version 2>&1 | head -1
  g++ --version 2>&1 | head -1
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available())' 2>&1 | tail -1
  echo "cores: $(nproc)"
} 2>&1

# --- 1. build --------------------------------------------------------------------------
CONFIG=(-DCMAKE_BUILD_TYPE=Release -DNF_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 -DNF_BUILD_BENCH=ON -DNF_MPI=OFF)
if command -v ccache >/dev/null; then
  CONFIG+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
fi
KEEP_GOING=(-k)  # make: go on past a failed target, so one broken file does not hide the rest
if command -v ninja >/dev/null && [ ! -f "$BUILD/Makefile" ]; then
  CONFIG+=(-G Ninja)
  KEEP_GOING=(-k 0)
fi
if [ -d "$ROOT/.gpu-deps/usr" ]; then
  DEPS=$ROOT/.gpu-deps/usr
  # (.cu files include none of these: no nvcc flag needed.)
  CONFIG+=("-DCMAKE_PREFIX_PATH=$DEPS" "-DCMAKE_CXX_FLAGS=-idirafter $DEPS/include"
           "-DCMAKE_BUILD_RPATH=$DEPS/lib/x86_64-linux-gnu")
  export LD_LIBRARY_PATH=$DEPS/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
TARGETS=(nasforge test_cli_device bench_cuda)
for t in tests/test_cuda_*.cpp; do TARGETS+=("$(basename "$t" .cpp)"); done
built=0
if [ -n "${CHECK_SKIP_BUILD:-}" ]; then
  record build "skipped (CHECK_SKIP_BUILD: using $BUILD as it is)"
  built=1
elif run_stage configure 90 cmake -S . -B "$BUILD" "${CONFIG[@]}" >"$OUT/build.log" 2>&1; then
  run_stage build 270 cmake --build "$BUILD" -j16 --target "${TARGETS[@]}" -- "${KEEP_GOING[@]}" \
    >>"$OUT/build.log" 2>&1 && built=1
fi
tail -n 30 "$OUT/build.log" 2>/dev/null | grep -iE "error|warning: unused|FAILED" | head -20

# --- 2. tests ----------------------------------------------------------------------------
# One line per executable for summary.py: "RESULT <exe> rc=<rc> passed=<n> failed=<n> skipped=<n>".
run_tests() {
  local src exe rc t log=$WORK/test.log
  local end=$(($(date +%s) + 150))  # the whole stage: 150 s at most, so the benchmarks keep their time
  for src in tests/test_cuda_*.cpp tests/test_cli_device.cpp; do
    exe=$BUILD/$(basename "$src" .cpp)
    [ -x "$exe" ] || { echo "RESULT $(basename "$exe") rc=missing passed=0 failed=0 skipped=0"; continue; }
    t=$(stage_timeout 60)
    ((end - $(date +%s) < t)) && t=$((end - $(date +%s)))
    ((t > 5)) || { echo "RESULT $(basename "$exe") rc=no-time passed=0 failed=0 skipped=0"; continue; }
    timeout --kill-after=5 "$t" "$exe" --gtest_color=no >"$log" 2>&1
    rc=$?
    cat "$log"
    n() { grep -oE "^\[  $1 +\] [0-9]+" "$log" | grep -oE '[0-9]+$' | head -1; }
    echo "RESULT $(basename "$exe") rc=$rc passed=$(n PASSED || true) failed=$(n FAILED || true) skipped=$(n SKIPPED || true)"
  done
}
run_tests >"$OUT/tests.log" 2>&1  # each executable under its own timeout (a shell function cannot run under one)
record tests "$(grep -c '^RESULT.* rc=0 ' "$OUT/tests.log") of $(grep -c '^RESULT' "$OUT/tests.log") executables passed"
grep '^RESULT' "$OUT/tests.log"
summary

# --- 3. bench_cuda, group by group -------------------------------------------------------------
BENCH=$BUILD/bench/bench_cuda
merge_bench() {  # every group's JSON into $OUT/bench_cuda.json (torn files: the readable ones)
  python3 - "$OUT/bench_cuda.json" "$WORK"/bench_*.json <<'EOF'
import json, sys
out, merged = sys.argv[1], {"context": {}, "benchmarks": []}
for f in sys.argv[2:]:
    try:
        d = json.load(open(f))
    except (OSError, ValueError):
        continue
    merged["context"] = merged["context"] or d.get("context", {})
    merged["benchmarks"] += d.get("benchmarks", [])
json.dump(merged, open(out, "w"), indent=1)
EOF
}
if [ -x "$BENCH" ]; then
  for group in gemm 'memcpy|add|mul|relu|sum|max|sum_rows' conv2d 'train|supernet'; do
    tag=$(echo "$group" | cut -d'|' -f1)
    run_stage "bench $tag" 90 "$BENCH" "--benchmark_filter=^cuda/($group)" --benchmark_min_time=0.1 \
      --benchmark_out="$WORK/bench_$tag.json" --benchmark_out_format=json
    merge_bench
  done
else
  record bench "not run: $BENCH was not built"
fi
summary

# --- 4. PyTorch CUDA peers -----------------------------------------------------------------------
if grep -q '"name"' "$OUT/bench_cuda.json" 2>/dev/null; then
  export PYTHONUNBUFFERED=1
  run_stage peers 120 python3 bench/peers/run_peers.py --build-dir "$BUILD" --group cuda \
    --ours-json "$OUT/bench_cuda.json" --min-time 0.1 --json "$OUT/peers_cuda.json"
else
  record peers "not run: no bench_cuda results"
fi

# --- 5. summary --------------------------------------------------------------------------------
summary
record total "$(($(date +%s) - START)) s"
summary
echo
cat "$OUT/summary.md" 2>/dev/null || echo "no summary (see $OUT/check.log)"
rm -rf "$WORK"
