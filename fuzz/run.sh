#!/usr/bin/env bash
# Runs every fuzz target of a NF_FUZZ=ON build for a bounded time.
#   fuzz/run.sh BUILD_DIR SECONDS OUT_DIR [JOBS]
# OUT_DIR/seeds    seed corpora written by make_seeds (remade every run)
# OUT_DIR/corpus   what libFuzzer found interesting, kept between runs
# OUT_DIR/crashers crashing / leaking / slow inputs (<target>-crash-<sha1>, ...)
# OUT_DIR/logs     one log per target
# fuzz/regress/<target>/ (in the source tree): inputs that once crashed, fixed
# and turned into regression tests; replayed first by every run as extra seeds.
# Exits 1 when any target found a problem (each is then a regression test to write:
# reproduce with  BUILD_DIR/fuzz/fuzz_<target> OUT_DIR/crashers/<file>).
set -euo pipefail
build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS OUT_DIR [JOBS]}
seconds=${2:?seconds}
out=${3:?out dir}
jobs=${4:-2}
regress=$(cd "$(dirname "$0")" && pwd)/regress

mkdir -p "$out/corpus" "$out/crashers" "$out/logs"
rm -rf "$out/seeds"
"$build/fuzz/make_seeds" "$out/seeds"

targets=()
for bin in "$build"/fuzz/fuzz_*; do
  [[ -x $bin ]] && targets+=("$(basename "$bin")")
done
((${#targets[@]} > 0)) || { echo "fuzz: no fuzz targets in $build/fuzz (configure with -DNF_FUZZ=ON)" >&2; exit 1; }

run_one() {  # target -> 0 clean, 1 found something
  local t=$1 name=${1#fuzz_}
  mkdir -p "$out/corpus/$name" "$out/seeds/$name"
  local dirs=("$out/corpus/$name" "$out/seeds/$name")
  if [[ -d $regress/$name ]]; then dirs+=("$regress/$name"); fi
  # -timeout: one input may take 30 s (a hang otherwise; generous, CI machines are
  # busy and the experiment target replays whole searches); -rss_limit_mb: 2 GiB
  # (also the malloc limit: one allocation above it is a crash, a believed header).
  if "$build/fuzz/$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$out/crashers/$name-" "${dirs[@]}" \
      >"$out/logs/$name.log" 2>&1; then
    echo "fuzz: $name: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$out/logs/$name.log" |
      grep -o '[0-9]*$') runs in ${seconds}s, no crash"
  else
    echo "fuzz: $name: FOUND A PROBLEM (log: $out/logs/$name.log)"
    grep -m5 -E 'ERROR|runtime error|deadly signal|uncaught|Test unit written' "$out/logs/$name.log" | sed 's/^/    /'
    return 1
  fi
}
export -f run_one
export build seconds out regress

status=0
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}' || status=1
if ((status)); then
  echo "fuzz: crashers left in $out/crashers:" >&2
  ls -1 "$out/crashers" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no crash"
