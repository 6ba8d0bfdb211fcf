#!/usr/bin/env bash
# Copies the build's third-party pieces from this (Debian, x86-64) machine into
# .gpu-deps/usr/ at the repository root, keeping their /usr layout, for a device
# machine that has a CUDA toolkit, CMake and a compiler but not these packages
# (nothing can be installed there): GoogleTest and GoogleMock (headers, static
# libraries, CMake package), Google Benchmark (headers, shared library, CMake
# package), nlohmann-json (headers, CMake package), stb_image.h and zlib's headers
# and linker library (the device's own libz.so.1 serves at run time). The CMake
# packages locate themselves relative to their own folder, so they work from there.
# bench/gpu/check.sh uses .gpu-deps when it exists; carry it with the run
# (device tool: carry [".gpu-deps"]). About 6 MB. .gpu-deps is ignored through
# .git/info/exclude (added here when missing), so it is never committed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEST=$ROOT/.gpu-deps/usr
LIB=/usr/lib/x86_64-linux-gnu
rm -rf "$ROOT/.gpu-deps"
mkdir -p "$DEST/include/stb" "$DEST/lib/x86_64-linux-gnu/cmake" "$DEST/share/cmake"

need() { [ -e "$1" ] || { echo "gather_deps: $1 is missing (apt-get install $2)" >&2; exit 1; }; }
need /usr/include/gtest libgtest-dev
need /usr/include/gmock libgmock-dev
need /usr/include/benchmark libbenchmark-dev
need /usr/include/nlohmann nlohmann-json3-dev
need /usr/include/stb/stb_image.h libstb-dev
need /usr/include/zlib.h zlib1g-dev

cp -rL /usr/include/gtest /usr/include/gmock /usr/include/benchmark /usr/include/nlohmann "$DEST/include/"
cp -L /usr/include/stb/stb_image.h "$DEST/include/stb/"
cp -L /usr/include/zlib.h /usr/include/zconf.h "$DEST/include/"
cp -rL "$LIB/cmake/GTest" "$LIB/cmake/benchmark" "$DEST/lib/x86_64-linux-gnu/cmake/"
cp -L "$LIB"/libgtest*.a "$LIB"/libgmock*.a "$LIB"/libbenchmark_main.a "$DEST/lib/x86_64-linux-gnu/"
# The benchmark package names libbenchmark.so.<version>; the loader looks for its soname.
bench_so=$(grep -ho 'libbenchmark\.so\.[0-9.]*' "$LIB/cmake/benchmark/"benchmarkTargets-*.cmake | head -1)
cp -L "$LIB/$bench_so" "$DEST/lib/x86_64-linux-gnu/"
soname=$(objdump -p "$LIB/$bench_so" | awk '/SONAME/ {print $2}')
[ -n "$soname" ] && cp -L "$LIB/$bench_so" "$DEST/lib/x86_64-linux-gnu/$soname"
cp -L "$LIB/libz.so" "$DEST/lib/x86_64-linux-gnu/libz.so"
cp -rL /usr/share/cmake/nlohmann_json "$DEST/share/cmake/"

EXCLUDE=$ROOT/.git/info/exclude
if [ -d "$ROOT/.git/info" ] && ! grep -qx '/.gpu-deps/' "$EXCLUDE" 2>/dev/null; then
  echo '/.gpu-deps/' >>"$EXCLUDE"
fi
echo "gather_deps: $(du -sh "$ROOT/.gpu-deps" | cut -f1) in $ROOT/.gpu-deps (carry it: bash bench/gpu/check.sh uses it)"
