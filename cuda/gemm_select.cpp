// GEMM selection state (see gemm_select.h). An atomic, so a bench or CLI may
// switch it while another thread runs kernels; each GEMM reads it once.
#include "cuda/gemm_select.h"

#include <atomic>
#include <cstdlib>

#include "tensor/error.h"

namespace nf::cuda {

namespace {

// The environment's choice; a bad value is an error naming the variable
// rather than a silent fallback (a benchmark would measure the wrong kernel).
GemmImpl from_env() {
  const char* env = std::getenv("NF_CUDA_GEMM");
  if (!env || !*env) return GemmImpl::cublas;
  auto impl = parse_gemm_impl(env);
  NF_CHECK(impl.has_value(), "NF_CUDA_GEMM=", env,
           ": unknown GEMM implementation (expected hand, cublas or cublas_tf32)");
  return *impl;
}

// -1 until chosen: by set_gemm_impl, or from the environment on the first
// gemm_impl() (so set_gemm_impl works even when the variable is bad).
std::atomic<int> g_impl{-1};

}  // namespace

void set_gemm_impl(GemmImpl impl) { g_impl.store(int(impl)); }

GemmImpl gemm_impl() {
  int v = g_impl.load();
  if (v < 0) {
    int unset = -1;
    g_impl.compare_exchange_strong(unset, int(from_env()));  // a racing set_gemm_impl wins
    v = g_impl.load();
  }
  return GemmImpl(v);
}

const char* gemm_impl_name(GemmImpl impl) {
  switch (impl) {
    case GemmImpl::hand: return "hand";
    case GemmImpl::cublas: return "cublas";
    case GemmImpl::cublas_tf32: return "cublas_tf32";
  }
  return "?";
}

std::optional<GemmImpl> parse_gemm_impl(std::string_view name) {
  for (GemmImpl impl : {GemmImpl::hand, GemmImpl::cublas, GemmImpl::cublas_tf32})
    if (name == gemm_impl_name(impl)) return impl;
  return std::nullopt;
}

}  // namespace nf::cuda
