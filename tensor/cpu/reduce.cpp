// Reductions on the CPU: sum, mean, max, min over any set of dims, argmax over one.
//
// x's dims split into kept dims (out is their contiguous keepdim form, so out's
// flat index is the row-major index over the kept dims) and reduced dims. Both
// groups become coalesced StridedLayouts over x's strides, and one of two loop
// orders does the work:
//  - rows:    per output element, walk the reduced runs (reducing innermost
//             contiguous dims: a lane-split sum the compiler vectorises);
//  - columns: per reduced element, update a tile of output accumulators along
//             the kept run (reducing an outer dim, e.g. [N,C] -> [1,C]).
// The order whose inner stride is smaller wins; both accept any strides.
//
// Parallelism and determinism: normally threads split the output elements and
// each element is reduced whole, in a fixed order. When the output is tiny and
// the reduced range long (a full sum, or [1e6,3] -> [1,3]) the reduced range is
// cut into fixed-size blocks whose partials are merged in block order. Neither
// the choice nor the blocks depend on the thread count, so results are
// bitwise identical for any number of threads. f32 sums accumulate in double.
#include <algorithm>
#include <cstdlib>
#include <limits>
#include <type_traits>
#include <vector>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/arg_checks.h"
#include "tensor/cpu/op_names.h"
#include "tensor/cpu/strided.h"

namespace nf::cpu {

namespace {

// Output accumulators handled together; in the column order a large tile
// reads long contiguous stretches of each reduced row (4096 was ~4x faster
// than 256 for [4096,4096] -> [1,4096]).
constexpr int64_t kOutTile = 4096;
constexpr int64_t kSplitBlock = 16384;  // reduced elements per partial in split mode
constexpr int64_t kSplitMaxOut = 32;    // split mode only for outputs this small

// --- accumulation policies: init / step / run / merge / finish ------------------

// Sum of a run with stride 1: eight independent lanes (vectorisable), combined
// in a fixed order, so the result depends only on the run.
template <typename T, typename Acc>
Acc sum_unit_run(const T* p, int64_t n) {
  if constexpr (std::is_integral_v<T>) {
    Acc s = 0;
    for (int64_t i = 0; i < n; ++i) s += p[i];
    return s;
  } else {
    constexpr int kLanes = 8;
    Acc lane[kLanes] = {};
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
      for (int j = 0; j < kLanes; ++j) lane[j] += Acc(p[i + j]);
    Acc s = 0;
    for (int j = 0; j < kLanes; ++j) s += lane[j];
    for (; i < n; ++i) s += Acc(p[i]);
    return s;
  }
}

template <typename T>
struct SumPolicy {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
  using Out = T;
  static Acc init() { return Acc(0); }
  static void step(Acc& a, T v, int64_t) { a += Acc(v); }
  static void run(Acc& a, const T* p, int64_t st, int64_t n, int64_t) {
    if (st == 1) {
      a += sum_unit_run<T, Acc>(p, n);
    } else {
      for (int64_t i = 0; i < n; ++i) a += Acc(p[i * st]);
    }
  }
  static void merge(Acc& a, const Acc& later) { a += later; }
  static Out finish(const Acc& a, int64_t) { return Out(a); }
};

template <typename T>
struct MeanPolicy : SumPolicy<T> {
  using Acc = typename SumPolicy<T>::Acc;
  static T finish(const Acc& a, int64_t count) { return T(double(a) / double(count)); }
};

// max (kMax) or min; a NaN anywhere makes the result NaN.
template <typename T, bool kMax>
struct ExtremePolicy {
  using Acc = T;
  using Out = T;
  static Acc init() {
    if constexpr (std::numeric_limits<T>::has_infinity)
      return kMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    else
      return kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
  static T pick(T a, T v) { return ((kMax ? v > a : v < a) | (v != v)) ? v : a; }
  static void step(Acc& a, T v, int64_t) { a = pick(a, v); }
  // Independent lanes, as in sum_unit_run. GCC does not if-convert the
  // NaN-aware select by itself (no fast-math); `omp simd` lets it use vector
  // compares and blends with the exact same semantics (~4x faster).
  static T unit_run(T a, const T* p, int64_t n) {
    constexpr int kLanes = 8;
    T lane[kLanes];
    for (int j = 0; j < kLanes; ++j) lane[j] = a;
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
#pragma omp simd
      for (int j = 0; j < kLanes; ++j) lane[j] = pick(lane[j], p[i + j]);
    for (int j = 0; j < kLanes; ++j) a = pick(a, lane[j]);
    for (; i < n; ++i) a = pick(a, p[i]);
    return a;
  }
  static void run(Acc& a, const T* p, int64_t st, int64_t n, int64_t) {
    if (st == 1) {
      a = unit_run(a, p, n);
      return;
    }
    for (int64_t i = 0; i < n; ++i) a = pick(a, p[i * st]);
  }
  static void merge(Acc& a, const Acc& later) { step(a, later, 0); }
  static Out finish(const Acc& a, int64_t) { return a; }
};

// Index (along the one reduced dim) of the first maximum; the first NaN wins.
template <typename T>
struct ArgmaxPolicy {
  struct Acc {
    T v;
    int64_t i;
  };
  using Out = int64_t;
  static Acc init() { return {T(0), -1}; }
  static bool better(T v, const Acc& a) { return a.i < 0 || v > a.v || (v != v && a.v == a.v); }
  static void step(Acc& a, T v, int64_t r) {
    if (better(v, a)) a = {v, r};
  }
  static void run(Acc& a, const T* p, int64_t st, int64_t n, int64_t r0) {
    for (int64_t i = 0; i < n; ++i) step(a, p[i * st], r0 + i);
  }
  static void merge(Acc& a, const Acc& later) {
    if (later.i >= 0 && better(later.v, a)) a = later;
  }
  static Out finish(const Acc& a, int64_t) { return a.i; }
};

// --- geometry -----------------------------------------------------------------------

struct Geometry {
  StridedLayout<1> kept;     // over out's flat index, x strides
  StridedLayout<1> reduced;  // over the reduced flat index, x strides
  int64_t out_numel = 1, red_numel = 1;
  bool columns = false;      // loop order: see the file comment
};

Geometry make_geometry(const Tensor& x, const std::vector<bool>& is_reduced, bool reorder_reduced) {
  Geometry g;
  Shape kept_shape, red_shape;
  Strides kept_strides, red_strides;
  std::vector<int64_t> red_dims;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (is_reduced[d]) {
      red_dims.push_back(d);
    } else {
      kept_shape.push_back(x.size(d));
      kept_strides.push_back(x.stride(d));
    }
  }
  // The reduced elements may be visited in any order (except for argmax):
  // innermost = smallest stride gives the longest contiguous runs.
  if (reorder_reduced)
    std::stable_sort(red_dims.begin(), red_dims.end(), [&](int64_t a, int64_t b) {
      return std::abs(x.stride(a)) > std::abs(x.stride(b));
    });
  for (int64_t d : red_dims) {
    red_shape.push_back(x.size(d));
    red_strides.push_back(x.stride(d));
  }
  g.kept = make_layout<1>(kept_shape, {kept_strides});
  g.reduced = make_layout<1>(red_shape, {red_strides});
  g.out_numel = shape_numel(kept_shape);
  g.red_numel = shape_numel(red_shape);
  int64_t kept_inner = g.kept.sizes.back(), kept_step = std::abs(g.kept.strides[0].back());
  int64_t red_step = std::abs(g.reduced.strides[0].back());
  g.columns = kept_inner > 1 && g.reduced.sizes.back() > 1 && kept_step < red_step;
  return g;
}

// --- the two loop orders --------------------------------------------------------------

// Accumulates reduced positions [r_lo, r_hi) into acc[0 .. t_hi-t_lo) for the
// output elements [t_lo, t_hi).
template <typename P, typename T>
void reduce_tile(const T* px, const Geometry& g, int64_t t_lo, int64_t t_hi, int64_t r_lo,
                 int64_t r_hi, typename P::Acc* acc) {
  if (!g.columns) {
    walk_runs(g.kept, t_lo, t_hi, [&](const Offsets<1>& ko, const Offsets<1>& kst, int64_t kn, int64_t kpos) {
      for (int64_t c = 0; c < kn; ++c) {
        typename P::Acc& a = acc[kpos - t_lo + c];
        const T* base = px + ko[0] + c * kst[0];
        walk_runs(g.reduced, r_lo, r_hi, [&](const Offsets<1>& ro, const Offsets<1>& rst, int64_t rn, int64_t rpos) {
          P::run(a, base + ro[0], rst[0], rn, rpos);
        });
      }
    });
    return;
  }
  walk_runs(g.kept, t_lo, t_hi, [&](const Offsets<1>& ko, const Offsets<1>& kst, int64_t kn, int64_t kpos) {
    typename P::Acc* a = acc + (kpos - t_lo);
    walk_runs(g.reduced, r_lo, r_hi, [&](const Offsets<1>& ro, const Offsets<1>& rst, int64_t rn, int64_t rpos) {
      for (int64_t j = 0; j < rn; ++j) {
        const T* p = px + ko[0] + ro[0] + j * rst[0];
        const int64_t r = rpos + j;
        if (kst[0] == 1) {
          for (int64_t c = 0; c < kn; ++c) P::step(a[c], p[c], r);
        } else {
          for (int64_t c = 0; c < kn; ++c) P::step(a[c], p[c * kst[0]], r);
        }
      }
    });
  });
}

template <typename P, typename T>
void reduce_with(const Tensor& x, const Geometry& g, Tensor& out) {
  using Acc = typename P::Acc;
  using Out = typename P::Out;
  const T* px = static_cast<const T*>(x.raw_data());
  Out* po = static_cast<Out*>(out.raw_data());
  const int64_t R = g.red_numel, n_out = g.out_numel;

  if (R == 0) {  // an empty input may have no storage: px is null, nothing to offset from
    for (int64_t o = 0; o < n_out; ++o) po[o] = P::finish(P::init(), 0);
    return;
  }
  if (n_out <= kSplitMaxOut && R >= 2 * kSplitBlock) {
    // Split mode: partial accumulators per fixed block of the reduced range.
    const int64_t blocks = (R + kSplitBlock - 1) / kSplitBlock;
    std::vector<Acc> partial(size_t(blocks * n_out), P::init());
    parallel_for(0, blocks, 1, [&](int64_t b_lo, int64_t b_hi) {
      for (int64_t b = b_lo; b < b_hi; ++b)
        reduce_tile<P>(px, g, 0, n_out, b * kSplitBlock, std::min(R, (b + 1) * kSplitBlock),
                       partial.data() + b * n_out);
    });
    for (int64_t o = 0; o < n_out; ++o) {
      Acc a = partial[o];
      for (int64_t b = 1; b < blocks; ++b) P::merge(a, partial[b * n_out + o]);
      po[o] = P::finish(a, R);
    }
    return;
  }

  const int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(R, 1));
  parallel_for(0, n_out, grain, [&](int64_t lo, int64_t hi) {
    std::vector<Acc> acc(size_t(std::min(kOutTile, hi - lo)));
    for (int64_t t = lo; t < hi; t += kOutTile) {
      const int64_t t_hi = std::min(hi, t + kOutTile);
      std::fill(acc.begin(), acc.begin() + (t_hi - t), P::init());
      reduce_tile<P>(px, g, t, t_hi, 0, R, acc.data());
      for (int64_t o = t; o < t_hi; ++o) po[o] = P::finish(acc[o - t], R);
    }
  });
}

}  // namespace

void CpuBackend::reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims, Tensor& out) {
  const char* name = op_name(op);
  const std::vector<bool> is_reduced = check_reduce(op, x, dims, out);
  if (out.numel() == 0) return;

  Geometry g = make_geometry(x, is_reduced, op != ReduceOp::argmax);
  NF_CHECK(g.red_numel > 0 || op == ReduceOp::sum || op == ReduceOp::mean, name,
           ": cannot reduce over an empty dim of shape ", shape_str(x.shape()));

  auto typed = [&](auto tag) {
    using T = decltype(tag);
    switch (op) {
      case ReduceOp::sum: return reduce_with<SumPolicy<T>, T>(x, g, out);
      case ReduceOp::mean:
        if constexpr (std::is_floating_point_v<T>) return reduce_with<MeanPolicy<T>, T>(x, g, out);
        NF_FAIL("mean: expected a floating dtype (f32 or f64), got ", dtype_name(x.dtype()));
      case ReduceOp::max: return reduce_with<ExtremePolicy<T, true>, T>(x, g, out);
      case ReduceOp::min: return reduce_with<ExtremePolicy<T, false>, T>(x, g, out);
      case ReduceOp::argmax: return reduce_with<ArgmaxPolicy<T>, T>(x, g, out);
    }
  };
  switch (x.dtype()) {
    case DType::f32: return typed(float{});
    case DType::f64: return typed(double{});
    case DType::i64: return typed(int64_t{});
    default: NF_FAIL(name, ": unsupported dtype ", dtype_name(x.dtype()));
  }
}

}  // namespace nf::cpu
