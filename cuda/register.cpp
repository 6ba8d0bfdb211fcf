// Registers the CUDA backend with nf::backend_for at static-initialisation
// time, touching no CUDA API (a machine without a GPU pays nothing until a
// cuda tensor is made). Nothing references this object file, so it survives
// the static link only because nasforge::nasforge links nf_cuda whole-archive
// ($<LINK_LIBRARY:WHOLE_ARCHIVE,nf_cuda> in the top-level CMakeLists.txt).
#include "cuda/cuda_backend.h"

namespace nf::cuda {

namespace {
Backend* make_backend(int index) { return &cuda_backend(index); }

[[maybe_unused]] const bool registered = (register_backend(DeviceType::cuda, make_backend), true);
}  // namespace

}  // namespace nf::cuda
