// Strided N-operand iteration for the CPU kernels (internal to tensor/cpu/).
//
// N operands share one logical shape but each has its own element strides
// (broadcast = stride 0). make_layout() drops size-1 dims and merges adjacent
// dims whose strides allow it for every operand, so contiguous or
// "contiguous up to broadcast" operands collapse to one long dim. walk_runs()
// then visits a flat row-major range [lo, hi) as innermost runs: for each run
// it calls fn(offsets, steps, count, flat_start) where offsets[k] is operand
// k's element offset of the run's first element and steps[k] its stride along
// the run. Kernels write a tight loop over the run, with a branch for
// all-unit steps that the compiler vectorises. parallel_runs() splits the flat
// range across threads, or walks 32x32 blocks when an operand is transposed.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "tensor/cpu/parallel.h"
#include "tensor/shape.h"
#include "tensor/tensor.h"

namespace nf::cpu {

template <size_t N>
using Offsets = std::array<int64_t, N>;

// A coalesced iteration space: sizes outermost first, one stride list per operand.
template <size_t N>
struct StridedLayout {
  std::vector<int64_t> sizes;
  std::array<std::vector<int64_t>, N> strides;
};

template <size_t N>
StridedLayout<N> make_layout(const Shape& shape, const std::array<Strides, N>& strides) {
  StridedLayout<N> L;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;  // a size-1 dim never moves any pointer
    bool merge = !L.sizes.empty();
    // The previous (outer) kept dim merges into this one when, for every
    // operand, stepping it equals stepping this dim shape[d] times.
    for (size_t k = 0; k < N && merge; ++k) merge = L.strides[k].back() == strides[k][d] * shape[d];
    if (merge) {
      L.sizes.back() *= shape[d];
      for (size_t k = 0; k < N; ++k) L.strides[k].back() = strides[k][d];
    } else {
      L.sizes.push_back(shape[d]);
      for (size_t k = 0; k < N; ++k) L.strides[k].push_back(strides[k][d]);
    }
  }
  if (L.sizes.empty()) {  // 0-d or all-ones: one element
    L.sizes.push_back(1);
    for (size_t k = 0; k < N; ++k) L.strides[k].push_back(0);
  }
  return L;
}

// Visits flat positions [lo, hi) of the layout's row-major order as innermost runs.
template <size_t N, typename Fn>
void walk_runs(const StridedLayout<N>& L, int64_t lo, int64_t hi, Fn&& fn) {
  if (lo >= hi) return;
  const int nd = static_cast<int>(L.sizes.size());
  const int inner = nd - 1;
  // The multi-index lives on the stack for usual ranks: kernels call this per output element.
  int64_t small[16];
  std::vector<int64_t> big(nd > 16 ? nd : 0);
  int64_t* idx = nd > 16 ? big.data() : small;
  Offsets<N> off{}, step{};
  int64_t rem = lo;
  for (int d = nd - 1; d >= 0; --d) {
    idx[d] = rem % L.sizes[d];
    rem /= L.sizes[d];
    for (size_t k = 0; k < N; ++k) off[k] += idx[d] * L.strides[k][d];
  }
  for (size_t k = 0; k < N; ++k) step[k] = L.strides[k][inner];
  for (int64_t pos = lo; pos < hi;) {
    int64_t count = std::min(L.sizes[inner] - idx[inner], hi - pos);
    fn(off, step, count, pos);
    pos += count;
    idx[inner] += count;
    for (size_t k = 0; k < N; ++k) off[k] += count * step[k];
    // Carry into outer dims.
    for (int d = inner; d > 0 && idx[d] == L.sizes[d]; --d) {
      idx[d] = 0;
      ++idx[d - 1];
      for (size_t k = 0; k < N; ++k) off[k] += L.strides[k][d - 1] - L.sizes[d] * L.strides[k][d];
    }
  }
}

// True when some operand moves faster along the second-innermost dim than
// along the innermost one (a transpose): walking plain rows would then touch a
// new cache line per element of that operand.
template <size_t N>
bool wants_tiles(const StridedLayout<N>& L, int64_t tile) {
  const size_t nd = L.sizes.size();
  if (nd < 2 || L.sizes[nd - 1] < tile || L.sizes[nd - 2] < tile) return false;
  for (size_t k = 0; k < N; ++k) {
    int64_t inner = std::abs(L.strides[k][nd - 1]), outer = std::abs(L.strides[k][nd - 2]);
    if (outer != 0 && outer < inner) return true;
  }
  return false;
}

// Visits the layout in tile x tile blocks of its two innermost dims, one run
// per block row, with the row-major flat position of each run (as walk_runs).
// Blocks [b_lo, b_hi) are numbered outer index, then block row, then block column.
template <size_t N, typename Fn>
void walk_tiles(const StridedLayout<N>& L, int64_t tile, int64_t b_lo, int64_t b_hi, Fn&& fn) {
  const size_t nd = L.sizes.size();
  const int64_t rows = L.sizes[nd - 2], cols = L.sizes[nd - 1];
  const int64_t brows = (rows + tile - 1) / tile, bcols = (cols + tile - 1) / tile;
  Offsets<N> step{};
  for (size_t k = 0; k < N; ++k) step[k] = L.strides[k][nd - 1];
  for (int64_t b = b_lo; b < b_hi; ++b) {
    const int64_t outer = b / (brows * bcols);
    const int64_t r0 = (b / bcols) % brows * tile, c0 = b % bcols * tile;
    Offsets<N> base{};
    for (int64_t rem = outer, d = int64_t(nd) - 3; d >= 0; --d) {
      for (size_t k = 0; k < N; ++k) base[k] += (rem % L.sizes[d]) * L.strides[k][d];
      rem /= L.sizes[d];
    }
    const int64_t r_end = std::min(rows, r0 + tile), n = std::min(cols, c0 + tile) - c0;
    for (int64_t r = r0; r < r_end; ++r) {
      Offsets<N> off;
      for (size_t k = 0; k < N; ++k) off[k] = base[k] + r * L.strides[k][nd - 2] + c0 * step[k];
      fn(off, step, n, (outer * rows + r) * cols + c0);
    }
  }
}

// Runs fn over every element of `shape` in parallel chunks of the flat range.
// When every operand is contiguous the layout is a single unit-stride dim, so
// each chunk is one run: the flat, vectorisable fast path. Transposing
// layouts are walked in blocks instead (see wants_tiles).
template <size_t N, typename Fn>
void parallel_runs(const Shape& shape, const std::array<Strides, N>& strides, int64_t grain, Fn&& fn) {
  constexpr int64_t kTile = 32;
  int64_t n = shape_numel(shape);
  if (n == 0) return;
  StridedLayout<N> L = make_layout(shape, strides);
  if (wants_tiles(L, kTile)) {
    const size_t nd = L.sizes.size();
    const int64_t blocks = n / (L.sizes[nd - 2] * L.sizes[nd - 1]) *
                           ((L.sizes[nd - 2] + kTile - 1) / kTile) * ((L.sizes[nd - 1] + kTile - 1) / kTile);
    const int64_t block_grain = std::max<int64_t>(1, grain / (kTile * kTile));
    parallel_for(0, blocks, block_grain, [&](int64_t lo, int64_t hi) { walk_tiles(L, kTile, lo, hi, fn); });
    return;
  }
  parallel_for(0, n, grain, [&](int64_t lo, int64_t hi) { walk_runs(L, lo, hi, fn); });
}

// The stride lists of tensors, for parallel_runs.
template <typename... Ts>
std::array<Strides, sizeof...(Ts)> strides_of(const Ts&... ts) {
  return {ts.strides()...};
}

}  // namespace nf::cpu
