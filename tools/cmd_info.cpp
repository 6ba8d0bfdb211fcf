// `nasforge info`: what this build is and what it can run on.
#include <iostream>

#include "tensor/backend.h"
#include "tensor/cpu/parallel.h"
#include "tools/commands.h"

namespace nf::tools {

namespace {
const char* simd_level() {
#if defined(__AVX512F__)
  return "AVX-512";
#elif defined(__AVX2__) && defined(__FMA__)
  return "AVX2+FMA";
#else
  return "scalar (generic x86-64; configure with NF_NATIVE=ON for this CPU's vector units)";
#endif
}
}  // namespace

int cmd_info(Flags& flags) {
  flags.finish();
  std::cout << "nasforge " << NF_VERSION << "\n"
            << "  compiler:     " << __VERSION__ << "\n"
            << "  SIMD:         " << simd_level() << "\n"
            << "  CPU threads:  " << cpu::max_threads() << " (OMP_NUM_THREADS overrides)\n";
  try {
    Backend& cuda = backend_for(Device::cuda(0));
    std::cout << "  CUDA backend: built in (" << cuda.name() << ")\n";
  } catch (const Error& e) {
    std::cout << "  CUDA backend: unavailable: " << e.what() << "\n";
  }
  return 0;
}

}  // namespace nf::tools
