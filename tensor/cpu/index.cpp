// Indexing kernels: index_select, gather (reads), index_add, scatter_add (accumulating writes).
//
// Every index is checked first, in a parallel pass that finds the first bad
// position; the kernels then trust the indices.
//
// Reads walk the output's shape with three operands: out, x with its `dim`
// stride set to 0, and the index (index_select's 1-D index is viewed as
// broadcast over out's shape, stride 0 except along dim). The element read is
// x[offset + index * x.stride(dim)]; a run along another dim shares one index.
//
// Accumulating writes are race-free by partitioning: threads split the
// coordinates other than `dim`, and each thread walks all of `dim` for its
// share. Two source elements can only hit one output element when they share
// those coordinates, so no output element is written by two threads, and each
// receives its additions in source order (deterministic).
#include <algorithm>
#include <atomic>
#include <limits>
#include <string>

#include "tensor/cpu/arg_checks.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/strided.h"

namespace nf::cpu {

namespace {

// Throws naming the op, the first offending position and its value when an
// index falls outside [0, limit).
void check_indices(const char* op, const Tensor& index, int64_t dim, int64_t limit) {
  NF_CHECK(index.dtype() == DType::i64, op, ": index must be i64, got ", dtype_name(index.dtype()));
  const int64_t* pi = index.data<int64_t>();
  constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
  std::atomic<int64_t> first_bad{kNone};
  parallel_runs<1>(index.shape(), strides_of(index), kElementwiseGrain,
                   [&](const Offsets<1>& off, const Offsets<1>& st, int64_t n, int64_t pos) {
                     if (pos >= first_bad.load(std::memory_order_relaxed)) return;
                     for (int64_t i = 0; i < n; ++i) {
                       int64_t v = pi[off[0] + i * st[0]];
                       if (v >= 0 && v < limit) continue;
                       int64_t bad = pos + i, cur = first_bad.load();
                       while (bad < cur && !first_bad.compare_exchange_weak(cur, bad)) {
                       }
                       return;
                     }
                   });
  int64_t bad = first_bad.load();
  if (bad == kNone) return;
  int64_t rem = bad, offset = 0;
  for (int64_t d = index.dim() - 1; d >= 0; --d) {
    offset += (rem % index.size(d)) * index.stride(d);
    rem /= index.size(d);
  }
  NF_FAIL(op, ": index ", pi[offset], " at position ", position_str(index.shape(), bad),
          " is out of range for dim ", dim, " of size ", limit);
}

template <typename T>
T* ptr(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

// out[p] = x[p with coordinate dim replaced by index[p]] over out's shape;
// index_strides are the index's strides over out's shape.
void gather_impl(const char* op, const Tensor& x, int64_t dim, const Tensor& index,
                 const Strides& index_strides, Tensor& out) {
  NF_CHECK(out.dtype() == x.dtype(), op, ": output dtype ", dtype_name(out.dtype()),
           " differs from input dtype ", dtype_name(x.dtype()));
  Strides xs = x.strides();
  const int64_t x_dim_stride = xs[dim];
  xs[dim] = 0;
  const int64_t* pi = index.data<int64_t>();
  dispatch_all(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const T* px = ptr<const T>(x);
    T* po = ptr<T>(out);
    parallel_runs<3>(out.shape(), {out.strides(), xs, index_strides}, kElementwiseGrain,
                     [&](const Offsets<3>& off, const Offsets<3>& st, int64_t n, int64_t) {
                       T* o = po + off[0];
                       const T* xb = px + off[1];
                       const int64_t* ib = pi + off[2];
                       if (st[2] == 0) {  // one index for the run: a strided copy of a row
                         const T* src = xb + ib[0] * x_dim_stride;
                         if (st[0] == 1 && st[1] == 1) {
                           for (int64_t i = 0; i < n; ++i) o[i] = src[i];
                         } else {
                           for (int64_t i = 0; i < n; ++i) o[i * st[0]] = src[i * st[1]];
                         }
                       } else {
                         for (int64_t i = 0; i < n; ++i)
                           o[i * st[0]] = xb[i * st[1] + ib[i * st[2]] * x_dim_stride];
                       }
                     });
  });
}

// Calls fn(T{}) for the dtypes that can be accumulated.
template <typename Fn>
void dispatch_addable(DType t, const char* op, Fn&& fn) {
  switch (t) {
    case DType::f32: return fn(float{});
    case DType::f64: return fn(double{});
    case DType::i64: return fn(int64_t{});
    default: NF_FAIL(op, ": unsupported dtype ", dtype_name(t), " (expected f32, f64 or i64)");
  }
}

// out[p with dim = index[q]] += src[q] over src's shape; index_strides are the
// index's strides over src's shape.
void scatter_add_impl(const char* op, Tensor& out, int64_t dim, const Tensor& index,
                      const Strides& index_strides, const Tensor& src) {
  NF_CHECK(out.dtype() == src.dtype(), op, ": source dtype ", dtype_name(src.dtype()),
           " differs from destination dtype ", dtype_name(out.dtype()));
  // The iteration space: src's shape without dim (size 1), which threads split.
  Shape other = src.shape();
  const int64_t len = other[dim];
  other[dim] = 1;
  const int64_t src_dim_stride = src.stride(dim), out_dim_stride = out.stride(dim);
  const int64_t index_dim_stride = index_strides[dim];
  const int64_t* pi = index.data<int64_t>();
  const int64_t grain = std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(len, 1));
  dispatch_addable(out.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const T* ps = ptr<const T>(src);
    T* po = ptr<T>(out);
    parallel_runs<3>(other, {src.strides(), out.strides(), index_strides}, grain,
                     [&](const Offsets<3>& off, const Offsets<3>& st, int64_t n, int64_t) {
                       for (int64_t j = 0; j < len; ++j) {
                         const T* s = ps + off[0] + j * src_dim_stride;
                         const int64_t* ib = pi + off[2] + j * index_dim_stride;
                         if (st[2] == 0) {  // index_add: one index per slice
                           T* o = po + off[1] + ib[0] * out_dim_stride;
                           if (st[0] == 1 && st[1] == 1) {
                             for (int64_t i = 0; i < n; ++i) o[i] += s[i];
                           } else {
                             for (int64_t i = 0; i < n; ++i) o[i * st[1]] += s[i * st[0]];
                           }
                         } else {
                           T* o = po + off[1];
                           for (int64_t i = 0; i < n; ++i)
                             o[i * st[1] + ib[i * st[2]] * out_dim_stride] += s[i * st[0]];
                         }
                       }
                     });
  });
}

// A 1-D index viewed over a shape: stride 0 everywhere except along dim.
Strides along_dim(const Tensor& index, size_t ndim, int64_t dim) {
  Strides s(ndim, 0);
  s[dim] = index.stride(0);
  return s;
}

}  // namespace

void CpuBackend::index_select(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) {
  check_select_shapes("index_select", x, dim, index, out);
  check_indices("index_select", index, dim, x.size(dim));
  gather_impl("index_select", x, dim, index, along_dim(index, out.shape().size(), dim), out);
}

void CpuBackend::index_add(Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  check_select_shapes("index_add", out, dim, index, src);
  check_indices("index_add", index, dim, out.size(dim));
  scatter_add_impl("index_add", out, dim, index, along_dim(index, src.shape().size(), dim), src);
}

void CpuBackend::gather(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) {
  check_gather_shapes("gather", x, dim, index, out);
  check_indices("gather", index, dim, x.size(dim));
  gather_impl("gather", x, dim, index, index.strides(), out);
}

void CpuBackend::scatter_add(Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  check_gather_shapes("scatter_add", out, dim, index, src);
  check_indices("scatter_add", index, dim, out.size(dim));
  scatter_add_impl("scatter_add", out, dim, index, index.strides(), src);
}

}  // namespace nf::cpu
