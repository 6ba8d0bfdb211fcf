// Random fills from the Philox counter-based generator (tensor/random.h).
// Element at row-major position i of out uses counter offset + i, so the
// values depend only on (seed, offset, shape): never on the thread count or
// the chunking. out may be strided; f32/f64 (bernoulli: any dtype, 1/0).
#include <cmath>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/strided.h"
#include "tensor/random.h"

namespace nf::cpu {

namespace {

// A Philox block costs ~10 rounds of multiplies: parallelise earlier than plain copies.
constexpr int64_t kRandomGrain = kElementwiseGrain / 8;

// Writes gen(counter) into every element of out.
template <typename T, typename Gen>
void fill_counters(Tensor& out, uint64_t offset, Gen gen) {
  T* po = static_cast<T*>(out.raw_data());
  parallel_runs<1>(out.shape(), strides_of(out), kRandomGrain,
                   [&](const Offsets<1>& off, const Offsets<1>& st, int64_t n, int64_t pos) {
                     T* o = po + off[0];
                     const uint64_t c0 = offset + uint64_t(pos);
                     for (int64_t i = 0; i < n; ++i) o[i * st[0]] = gen(c0 + uint64_t(i));
                   });
}

}  // namespace

void CpuBackend::random(RandomKind kind, Tensor& out, uint64_t seed, uint64_t offset, double a,
                        double b) {
  if (kind == RandomKind::bernoulli) {
    dispatch_all(out.dtype(), "bernoulli", [&](auto tag) {
      using T = decltype(tag);
      fill_counters<T>(out, offset, [=](uint64_t c) { return T(philox_uniform(seed, c) < a); });
    });
    return;
  }
  dispatch_floating(out.dtype(), kind == RandomKind::uniform ? "uniform" : "normal", [&](auto tag) {
    using T = decltype(tag);
    if (kind == RandomKind::normal) {
      fill_counters<T>(out, offset, [=](uint64_t c) { return T(a + b * philox_normal(seed, c)); });
      return;
    }
    // Rounding a + (b-a)u to T can land on b itself; keep the interval half-open.
    const T hi = T(b), below_hi = std::nextafter(hi, T(a));
    fill_counters<T>(out, offset, [=](uint64_t c) {
      T v = T(a + (b - a) * philox_uniform(seed, c));
      return (v >= hi && a < b) ? below_hi : v;
    });
  });
}

}  // namespace nf::cpu
