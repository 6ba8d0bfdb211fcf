// Argument checks shared by the nf::raw front-end files (internal).
#pragma once
#include <initializer_list>

#include "tensor/backend.h"
#include "tensor/tensor.h"

namespace nf::raw::detail {

inline void check_defined(const Tensor& t, const char* op, const char* what) {
  NF_CHECK(t.defined(), op, ": ", what, " is an undefined tensor");
}

// All defined tensors on one device; returns that device's backend.
inline Backend& common_backend(const char* op, std::initializer_list<const Tensor*> ts) {
  const Tensor* first = nullptr;
  for (const Tensor* t : ts) {
    if (!t->defined()) continue;
    if (!first) {
      first = t;
      continue;
    }
    NF_CHECK(t->device() == first->device(), op, ": tensors on different devices ",
             first->device().str(), " and ", t->device().str());
  }
  NF_CHECK(first != nullptr, op, ": no tensor given");
  return backend_for(first->device());
}

inline void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  NF_CHECK(a.dtype() == b.dtype(), op, ": dtype mismatch ", dtype_name(a.dtype()), " ",
           shape_str(a.shape()), " and ", dtype_name(b.dtype()), " ", shape_str(b.shape()));
}

inline void check_floating(const char* op, const Tensor& t) {
  NF_CHECK(is_floating(t.dtype()), op, ": expected a floating tensor (f32 or f64), got ",
           dtype_name(t.dtype()), " ", shape_str(t.shape()));
}

inline FusedBackend& fused_backend(Backend& b, const char* op) {
  FusedBackend* f = b.fused();
  NF_CHECK(f != nullptr, op, ": the ", b.name(), " backend has no fused neural-network kernels");
  return *f;
}

}  // namespace nf::raw::detail
