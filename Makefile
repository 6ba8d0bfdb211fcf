# nasforge front door. Everything goes through CMake in $(BUILD_DIR).
#   make                 configure + build (Release)
#   make test            install missing deps, build, run every test
#   make search          install missing deps, build, run a ~10-minute NAS search
#                        on Fashion-MNIST (results in runs/search-<date>/)
#   make bench           + benchmark deps, build and run bench/ (JSON in results/bench/)
#   make peers           the same shapes in PyTorch/OpenBLAS next to ours
#   make fuzz            clang build (NF_FUZZ=ON) of the fuzz/ targets; runs each for
#                        FUZZ_SECONDS (crashers left in $(FUZZ_OUT)/crashers)
#   make test-sanitize   the same build's test suite under ASan + UBSan
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
# One clang build serves `make fuzz` and `make test-sanitize`: every target is
# compiled with -fsanitize=fuzzer-no-link,address,undefined; -O1 and line
# tables only keep the compile affordable and the reports readable.
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS ?= 30
FUZZ_OUT ?= $(FUZZ_BUILD_DIR)/fuzz-out
FUZZ_CONFIGURE = cmake -S . -B $(FUZZ_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DNF_CUDA=OFF -DNF_FUZZ=ON $(CMAKE_ARGS)

CONFIGURE = cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

.PHONY: all build deps test bench bench-deps bench-build peers install clean search \
        fuzz-build fuzz test-sanitize

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

fuzz-build: deps
	$(FUZZ_CONFIGURE)
	cmake --build $(FUZZ_BUILD_DIR) -j$(JOBS)

# Only the fuzz targets and the seed writer (and the libraries they link).
fuzz: deps
	$(FUZZ_CONFIGURE)
	cmake --build $(FUZZ_BUILD_DIR) -j$(JOBS) --target fuzzers
	fuzz/run.sh $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS) $(FUZZ_OUT) $(JOBS)

# halt_on_error/abort: the first report fails the test; leaks are reported too.
# SANITIZE_CTEST_ARGS narrows the set, e.g. -E '^(Cli|TwoSpirals)' (see .ci/run).
SANITIZE_CTEST_ARGS ?=
test-sanitize: fuzz-build
	OMP_WAIT_POLICY=passive ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(FUZZ_BUILD_DIR) --output-on-failure -j2 $(SANITIZE_CTEST_ARGS)

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
