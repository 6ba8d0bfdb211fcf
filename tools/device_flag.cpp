#include "tools/device_flag.h"

#include <cstdlib>

#include "tensor/backend.h"
#include "tensor/error.h"
#ifdef NF_WITH_CUDA
#include "cuda/device.h"
#endif

namespace nf::tools {

Device parse_device(const std::string& command, const std::string& text) {
  if (text == "cpu") return Device::cpu();
  if (text == "cuda") return Device::cuda(0);
  const std::string prefix = "cuda:";
  if (text.rfind(prefix, 0) == 0 && text.size() > prefix.size() && text.size() <= prefix.size() + 4 &&
      text.find_first_not_of("0123456789", prefix.size()) == std::string::npos)
    return Device::cuda(std::atoi(text.c_str() + prefix.size()));
  NF_FAIL("nasforge ", command, ": --device must be cpu, cuda or cuda:N, got '", text, "'");
}

bool build_has_cuda() {
#ifdef NF_WITH_CUDA
  return true;
#else
  return false;
#endif
}

void check_device_usable(const std::string& command, Device device) {
  if (device.is_cpu()) return;
  const std::string what = "nasforge " + command + ": --device " + device.str() + ": ";
#ifdef NF_WITH_CUDA
  const int count = cuda::device_count();
  NF_CHECK(count > 0, what, "no CUDA device (cudaGetDeviceCount: ", cuda::no_device_reason(), ")");
  NF_CHECK(device.index < count, what, "no such device (", count, " CUDA device(s) visible)");
  try {
    backend_for(device);  // creates its stream: a broken driver fails here, not mid-run
  } catch (const Error& e) {
    NF_FAIL(what, e.what());
  }
#else
  NF_FAIL(what, "this build has no CUDA backend (rebuild with -DNF_CUDA=ON on a machine with nvcc)");
#endif
}

Device read_device_flag(Flags& flags) { return parse_device(flags.command(), flags.text("device", "cpu")); }

}  // namespace nf::tools
