// 256-bit vectors through GCC/Clang vector extensions, for the portable paths
// of the direct kernels (internal to tensor/cpu/): lowered to narrower
// registers when the target has no AVX. Read and write them through memcpy,
// which both compilers turn into unaligned vector moves: a cast to an
// under-aligned vector type is not honoured by clang inside templates (it
// emitted aligned moves that fault on scratch rows at odd offsets).
#pragma once
#include <cstdint>

namespace nf::cpu {

template <typename T>
struct VecType {
  typedef T type __attribute__((vector_size(32)));
};
template <typename T>
using Vec = typename VecType<T>::type;
template <typename T>
constexpr int64_t kLanes = 32 / static_cast<int64_t>(sizeof(T));

}  // namespace nf::cpu
