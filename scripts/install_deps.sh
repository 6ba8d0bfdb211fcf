#!/usr/bin/env bash
# Installs the Debian packages nasforge needs that are missing, and nothing else.
#   scripts/install_deps.sh          build + test dependencies
#   scripts/install_deps.sh --bench  also the benchmark peers (OpenBLAS, PyTorch)
# Silent when everything is present. Not root and something missing: prints the
# one command to run and exits 1. `apt-get update` runs only before an install.
set -euo pipefail

# chromium: tests/test_cli_report.cpp renders report.html headless (about 1 min to install).
# openmpi-bin libopenmpi-dev: the MPI scale-out (dist/) and its 3-rank tests (tests/test_mpi_*.cpp).
# clang libclang-rt-dev libomp-dev: make fuzz / make test-sanitize (libFuzzer, ASan, UBSan
# runtimes; OpenMP for clang).
packages=(cmake g++ make googletest libgtest-dev libbenchmark-dev libstb-dev
          nlohmann-json3-dev zlib1g-dev dataset-fashion-mnist chromium openmpi-bin libopenmpi-dev
          clang libclang-rt-dev libomp-dev)
bench_packages=(libopenblas-dev python3-torch)

case "${1:-}" in
  "") ;;
  --bench) packages+=("${bench_packages[@]}") ;;
  *) echo "usage: $0 [--bench]" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null; then
  echo "install_deps: dpkg-query not found (not a Debian system); install by hand: ${packages[*]}" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

if ((EUID != 0)); then
  echo "sudo apt-get install -y ${missing[*]}"
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y "${missing[@]}"
