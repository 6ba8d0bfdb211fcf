// Element access by logical multi-index for the naive reference kernels
// (internal): every value passes through double, which is exact for the
// floating dtypes and for the small integers the tests use.
#pragma once
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace nf::cpu::ref {

inline int64_t element_offset(const Tensor& t, const std::vector<int64_t>& idx) {
  int64_t off = 0;
  for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * t.strides()[d];
  return off;
}

inline double load(const Tensor& t, const std::vector<int64_t>& idx) {
  int64_t off = element_offset(t, idx);
  return dispatch_all(t.dtype(), "ref load", [&](auto tag) {
    using T = decltype(tag);
    return double(static_cast<const T*>(t.raw_data())[off]);
  });
}

// Stores v converted to t's dtype (bool: nonzero).
inline void store(const Tensor& t, const std::vector<int64_t>& idx, double v) {
  int64_t off = element_offset(t, idx);
  dispatch_all(t.dtype(), "ref store", [&](auto tag) {
    using T = decltype(tag);
    static_cast<T*>(t.raw_data())[off] = static_cast<T>(v);
  });
}

// Advances idx to the next row-major multi-index of shape; false after the last.
inline bool next_index(std::vector<int64_t>& idx, const Shape& shape) {
  for (size_t d = shape.size(); d-- > 0;) {
    if (++idx[d] < shape[d]) return true;
    idx[d] = 0;
  }
  return false;
}

}  // namespace nf::cpu::ref
