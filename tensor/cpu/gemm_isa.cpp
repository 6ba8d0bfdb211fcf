// GEMM ISA selection (gemm_isa.h) and the kernel + blocking per ISA
// (gemm_microkernel.h).
#include "tensor/cpu/gemm_isa.h"

#include <atomic>
#include <cstdlib>
#include <string>

#include "tensor/cpu/gemm_microkernel.h"
#include "tensor/error.h"

namespace nf::cpu {
namespace {

// -1 = not chosen yet (the first gemm_isa() reads NF_CPU_ISA).
std::atomic<int> g_isa{-1};

}  // namespace

const char* gemm_isa_name(GemmIsa isa) {
  switch (isa) {
    case GemmIsa::scalar: return "scalar";
    case GemmIsa::avx2: return "avx2";
    case GemmIsa::avx512: return "avx512";
  }
  return "?";
}

GemmIsa parse_gemm_isa(std::string_view name) {
  for (GemmIsa isa : {GemmIsa::scalar, GemmIsa::avx2, GemmIsa::avx512})
    if (name == gemm_isa_name(isa)) return isa;
  NF_FAIL("gemm: unknown ISA '", std::string(name), "' (expected scalar, avx2 or avx512)");
}

bool gemm_isa_supported(GemmIsa isa) {
  switch (isa) {
    case GemmIsa::scalar: return true;
#ifdef NF_GEMM_X86
    case GemmIsa::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case GemmIsa::avx512:
      return __builtin_cpu_supports("avx512f") && gemm_isa_supported(GemmIsa::avx2);
#else
    default: return false;
#endif
  }
  return false;
}

std::vector<GemmIsa> supported_gemm_isas() {
  std::vector<GemmIsa> out;
  for (GemmIsa isa : {GemmIsa::scalar, GemmIsa::avx2, GemmIsa::avx512})
    if (gemm_isa_supported(isa)) out.push_back(isa);
  return out;
}

GemmIsa gemm_isa_from_env_value(const char* value) {
  if (value == nullptr || *value == '\0') return supported_gemm_isas().back();
  GemmIsa isa;
  try {
    isa = parse_gemm_isa(value);
  } catch (const Error&) {
    NF_FAIL("NF_CPU_ISA='", value, "' is not an ISA (expected scalar, avx2 or avx512)");
  }
  NF_CHECK(gemm_isa_supported(isa), "NF_CPU_ISA=", value,
           ": this CPU does not support it (", gemm_isa_name(supported_gemm_isas().back()),
           " is the best it has)");
  return isa;
}

GemmIsa gemm_isa() {
  int v = g_isa.load(std::memory_order_relaxed);
  if (v < 0) {
    v = static_cast<int>(gemm_isa_from_env_value(std::getenv("NF_CPU_ISA")));
    int expected = -1;  // a concurrent set_gemm_isa() wins over the environment
    if (!g_isa.compare_exchange_strong(expected, v)) v = expected;
  }
  return static_cast<GemmIsa>(v);
}

void set_gemm_isa(GemmIsa isa) {
  NF_CHECK(gemm_isa_supported(isa), "set_gemm_isa: this CPU does not support ", gemm_isa_name(isa),
           " (", gemm_isa_name(supported_gemm_isas().back()), " is the best it has)");
  g_isa.store(static_cast<int>(isa));
}

namespace gemm_detail {

// Blocking for the 6-row tiles (AMD Zen: 32 KiB L1d, 512 KiB L2 per core, shared L3):
//  KC: an MR x KC sliver of A and a KC x NR sliver of B stay in L1 while the kernel
//      streams them: f32 (6+16)*256*4 = 22 KiB, f64 (6+8)*256*8 = 28 KiB.
//  MC: the packed MC x KC block of A stays in L2: 144*256*4 = 72*256*8 = 144 KiB.
//  NC: the packed KC x NC panel of B stays in L3: 256*4080*4 = 4 MiB (f32), 8 MiB (f64).
// AVX-512 12x32 (Intel, 32-48 KiB L1d, 1-2 MiB L2): KC = 192 keeps the reused B sliver
// (192*32*4 = 24 KiB) in L1 next to the streamed A sliver (9 KiB); MC = 144 (12 slivers,
// 108 KiB of L2); NC = 4096 (3 MiB panel).
template <>
MicroKernel<float> micro_kernel_for<float>(GemmIsa isa) {
#ifdef NF_GEMM_X86
  if (isa == GemmIsa::avx512) return {12, 32, 192, 144, 4096, micro_kernel_avx512_12x32};
  if (isa == GemmIsa::avx2) return {6, 16, 256, 144, 4080, micro_kernel_avx2_6x16};
#endif
  return {6, 16, 256, 144, 4080, micro_kernel_portable<float, 6, 16>};
}

template <>
MicroKernel<double> micro_kernel_for<double>(GemmIsa isa) {
#ifdef NF_GEMM_X86
  if (isa == GemmIsa::avx2 || isa == GemmIsa::avx512)
    return {6, 8, 256, 72, 4080, micro_kernel_avx2_6x8};
#endif
  return {6, 8, 256, 72, 4080, micro_kernel_portable<double, 6, 8>};
}

template <>
MicroKernel<float> micro_kernel_for_rows<float>(GemmIsa isa, int64_t rows) {
#ifdef NF_GEMM_X86
  // 24 columns of KC = 256: (4 + 24) * 256 * 4 = 28 KiB, the 6 x 16 tile's L1 budget.
  if (isa == GemmIsa::avx2 && rows % 4 == 0 && rows % 6 != 0)
    return {4, 24, 256, 144, 4080, micro_kernel_avx2_4x24};
#endif
  return micro_kernel_for<float>(isa);
}

template <>
MicroKernel<double> micro_kernel_for_rows<double>(GemmIsa isa, int64_t) {
  return micro_kernel_for<double>(isa);
}

}  // namespace gemm_detail
}  // namespace nf::cpu
