# nasforge front door. Everything goes through CMake in $(BUILD_DIR).
#   make                 configure + build (Release)
#   make test            install missing deps, build, run every test
#   make search          install missing deps, build, run a ~10-minute NAS search
#                        on Fashion-MNIST (results in runs/search-<date>/)
#   make bench           + benchmark deps, build and run bench/ (JSON in results/bench/)
#   make peers           the same shapes in PyTorch/OpenBLAS next to ours
#   make install PREFIX=/opt/nasforge
#   make clean
# Extra CMake options: make CMAKE_ARGS="-DNF_CUDA=OFF -DNF_SANITIZE=address,undefined"
BUILD_DIR ?= build
BUILD_TYPE ?= Release
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)
CMAKE_ARGS ?=
RESULTS_DIR ?= results/bench
# What `make search` runs: regularized evolution over NAS-Bench-201 cells.
SEARCH_ARGS ?= --space nb201 --strategy evolution --budget 10m
SEARCH_DIR ?= runs/search-$(shell date +%Y%m%d-%H%M%S)
# The Debian python that python3-torch installs into (not a pyenv/venv one).
PYTHON ?= /usr/bin/python3

CONFIGURE = cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

.PHONY: all build deps test bench bench-deps bench-build peers install clean search

all: build

build:
	$(CONFIGURE)
	cmake --build $(BUILD_DIR) -j$(JOBS)

deps:
	@scripts/install_deps.sh

test: deps
	@$(MAKE) --no-print-directory build
	@# Passive OpenMP waits: two test processes share the cores, and spinning
	@# threads would steal them from each other (10x slower GEMMs when oversubscribed).
	OMP_WAIT_POLICY=passive ctest --test-dir $(BUILD_DIR) --output-on-failure -j2

bench-deps:
	@scripts/install_deps.sh --bench

bench-build: bench-deps
	$(CONFIGURE) -DNF_BUILD_BENCH=ON
	cmake --build $(BUILD_DIR) -j$(JOBS) --target benchmarks

bench: bench-build
	@mkdir -p $(RESULTS_DIR)
	@set -e; for b in $(BUILD_DIR)/bench/bench_*; do \
	  echo "== $$b"; \
	  $$b --benchmark_counters_tabular=true \
	      --benchmark_out=$(RESULTS_DIR)/$$(basename $$b).json --benchmark_out_format=json; \
	done

peers: bench-build
	$(PYTHON) bench/peers/run_peers.py --build-dir $(BUILD_DIR)

install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD_DIR)

search: deps
	$(CONFIGURE)
	cmake --build $(BUILD_DIR) -j$(JOBS) --target nasforge
	$(BUILD_DIR)/nasforge search $(SEARCH_ARGS) --out $(SEARCH_DIR)
