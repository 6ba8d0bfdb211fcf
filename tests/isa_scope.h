// Test helpers that run a body under each GEMM micro-kernel ISA this CPU
// supports (tensor/cpu/gemm_isa.h), for every kernel built on the micro-kernels
// (GEMM, matmul, the implicit-GEMM convolution).
#pragma once
#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "tensor/cpu/gemm_isa.h"

namespace nf::testing {

using nf::cpu::GemmIsa;
constexpr GemmIsa kAllIsas[] = {GemmIsa::scalar, GemmIsa::avx2, GemmIsa::avx512};

// Selects an ISA for a scope and restores the previous one.
class IsaScope {
 public:
  explicit IsaScope(GemmIsa isa) : saved_(nf::cpu::gemm_isa()) { nf::cpu::set_gemm_isa(isa); }
  ~IsaScope() { nf::cpu::set_gemm_isa(saved_); }
  IsaScope(const IsaScope&) = delete;
  IsaScope& operator=(const IsaScope&) = delete;

 private:
  GemmIsa saved_;
};

// Runs body once under every ISA the CPU supports (scoped trace names it);
// reports the ones it lacks, so a log shows what was not covered.
template <typename F>
void for_each_isa(F&& body) {
  for (GemmIsa isa : kAllIsas) {
    if (!nf::cpu::gemm_isa_supported(isa)) {
      std::cout << "[  NOTE    ] " << nf::cpu::gemm_isa_name(isa)
                << " not supported by this CPU: not tested\n";
      continue;
    }
    SCOPED_TRACE(std::string("gemm ISA ") + nf::cpu::gemm_isa_name(isa));
    IsaScope scope(isa);
    body();
  }
}

}  // namespace nf::testing
