// View ops: new shape/strides/offset over the same storage, never a copy.
#include <algorithm>
#include <numeric>
#include <optional>

#include "tensor/ops.h"
#include "tensor/ops_util.h"

namespace nf::raw {

namespace {

Tensor make_view(const Tensor& x, Shape shape, Strides strides, int64_t offset) {
  return Tensor(x.storage(), std::move(shape), std::move(strides), offset, x.dtype());
}

// Replaces a single -1 in `shape` by the size that keeps numel.
Shape infer_shape(Shape shape, int64_t numel, const Shape& from, const char* op) {
  int64_t known = 1, infer_at = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      NF_CHECK(infer_at < 0, op, ": only one dimension can be -1 in ", shape_str(shape));
      infer_at = int64_t(i);
    } else {
      NF_CHECK(shape[i] >= 0, op, ": invalid size ", shape[i], " in ", shape_str(shape));
      known *= shape[i];
    }
  }
  if (infer_at >= 0) {
    NF_CHECK(known != 0 && numel % known == 0, op, ": cannot view ", shape_str(from), " as ",
             shape_str(shape));
    shape[infer_at] = numel / known;
  }
  NF_CHECK(shape_numel(shape) == numel, op, ": cannot view ", shape_str(from), " (", numel,
           " elements) as ", shape_str(shape));
  return shape;
}

// Strides that let `new_shape` alias a tensor of (shape, strides) without a
// copy, or nothing. Walks the old dims from the back in "chunks" of dims that
// are contiguous with each other; each chunk must be exactly covered by a run
// of new dims.
std::optional<Strides> view_strides(const Shape& shape, const Strides& strides,
                                    const Shape& new_shape) {
  Strides out(new_shape.size());
  if (shape_numel(shape) == 0 || shape.empty()) return contiguous_strides(new_shape);
  int64_t nd = int64_t(new_shape.size()) - 1;
  int64_t chunk_stride = strides.back(), chunk_numel = 1, new_numel = 1;
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    chunk_numel *= shape[d];
    bool chunk_ends = d == 0 || (shape[d - 1] != 1 && strides[d - 1] != chunk_numel * chunk_stride);
    if (!chunk_ends) continue;
    while (nd >= 0 && (new_numel < chunk_numel || new_shape[nd] == 1)) {
      out[nd] = new_numel * chunk_stride;
      new_numel *= new_shape[nd];
      --nd;
    }
    if (new_numel != chunk_numel) return std::nullopt;
    if (d > 0) {
      chunk_stride = strides[d - 1];
      chunk_numel = 1;
      new_numel = 1;
    }
  }
  if (nd != -1) return std::nullopt;
  return out;
}

}  // namespace

Tensor view(const Tensor& x, Shape shape) {
  detail::check_defined(x, "view", "input");
  shape = infer_shape(std::move(shape), x.numel(), x.shape(), "view");
  auto strides = view_strides(x.shape(), x.strides(), shape);
  NF_CHECK(strides.has_value(), "view: cannot view ", shape_str(x.shape()), " with strides ",
           shape_str(x.strides()), " as ", shape_str(shape),
           " without a copy (call contiguous() or reshape)");
  return make_view(x, shape, *strides, x.offset());
}

Tensor reshape(const Tensor& x, Shape shape) {
  detail::check_defined(x, "reshape", "input");
  shape = infer_shape(std::move(shape), x.numel(), x.shape(), "reshape");
  if (auto strides = view_strides(x.shape(), x.strides(), shape))
    return make_view(x, shape, *strides, x.offset());
  return view(contiguous(x), shape);
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  if (x.dim() == 0) return reshape(x, {1});
  int64_t s = normalize_dim(start_dim, x.dim(), "flatten");
  int64_t e = normalize_dim(end_dim, x.dim(), "flatten");
  NF_CHECK(s <= e, "flatten: start_dim ", start_dim, " after end_dim ", end_dim);
  Shape shape(x.shape().begin(), x.shape().begin() + s);
  int64_t n = 1;
  for (int64_t d = s; d <= e; ++d) n *= x.size(d);
  shape.push_back(n);
  shape.insert(shape.end(), x.shape().begin() + e + 1, x.shape().end());
  return reshape(x, shape);
}

Tensor transpose(const Tensor& x, int64_t d0, int64_t d1) {
  d0 = normalize_dim(d0, x.dim(), "transpose");
  d1 = normalize_dim(d1, x.dim(), "transpose");
  Shape shape = x.shape();
  Strides strides = x.strides();
  std::swap(shape[d0], shape[d1]);
  std::swap(strides[d0], strides[d1]);
  return make_view(x, shape, strides, x.offset());
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  NF_CHECK(int64_t(dims.size()) == x.dim(), "permute: ", dims.size(),
           " dims given for a tensor of shape ", shape_str(x.shape()));
  Shape shape(dims.size());
  Strides strides(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = normalize_dim(dims[i], x.dim(), "permute");
    NF_CHECK(!seen[d], "permute: dim ", d, " repeated in ", shape_str(dims));
    seen[d] = true;
    shape[i] = x.size(d);
    strides[i] = x.stride(d);
  }
  return make_view(x, shape, strides, x.offset());
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  int64_t d = normalize_dim(dim, x.dim(), "slice");
  NF_CHECK(step > 0, "slice: step must be positive, got ", step);
  int64_t n = x.size(d);
  auto clamp = [n](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + n : i, 0, n); };
  start = clamp(start);
  end = std::max(start, clamp(end));
  Shape shape = x.shape();
  Strides strides = x.strides();
  shape[d] = (end - start + step - 1) / step;
  strides[d] *= step;
  return make_view(x, shape, strides, x.offset() + start * x.stride(d));
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  int64_t d = normalize_dim(dim, x.dim(), "narrow");
  NF_CHECK(start >= 0 && length >= 0 && start + length <= x.size(d), "narrow: range [", start, ", ",
           start + length, ") out of bounds for dim ", d, " of shape ", shape_str(x.shape()));
  return slice(x, d, start, start + length);
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  int64_t d = normalize_dim(dim, x.dim(), "select");
  int64_t n = x.size(d);
  NF_CHECK(index >= -n && index < n, "select: index ", index, " out of range for dim ", d,
           " of shape ", shape_str(x.shape()));
  if (index < 0) index += n;
  Shape shape = x.shape();
  Strides strides = x.strides();
  int64_t offset = x.offset() + index * strides[d];
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  return make_view(x, shape, strides, offset);
}

Tensor expand(const Tensor& x, const Shape& shape) {
  NF_CHECK(shape.size() >= size_t(x.dim()), "expand: cannot expand ", shape_str(x.shape()), " to ",
           shape_str(shape), " (fewer dims)");
  size_t lead = shape.size() - x.dim();
  Shape out_shape(shape.size());
  Strides out_strides(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      NF_CHECK(shape[i] >= 0, "expand: invalid size ", shape[i], " in ", shape_str(shape));
      out_shape[i] = shape[i];
      out_strides[i] = 0;
      continue;
    }
    int64_t have = x.size(int64_t(i - lead)), want = shape[i] == -1 ? have : shape[i];
    NF_CHECK(have == want || have == 1, "expand: cannot expand ", shape_str(x.shape()), " to ",
             shape_str(shape));
    out_shape[i] = want;
    out_strides[i] = have == want ? x.stride(int64_t(i - lead)) : 0;
  }
  return make_view(x, out_shape, out_strides, x.offset());
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  int64_t d = normalize_dim(dim, x.dim(), "squeeze");
  NF_CHECK(x.size(d) == 1, "squeeze: dim ", d, " of shape ", shape_str(x.shape()),
           " has size ", x.size(d), ", not 1");
  Shape shape = x.shape();
  Strides strides = x.strides();
  shape.erase(shape.begin() + d);
  strides.erase(strides.begin() + d);
  return make_view(x, shape, strides, x.offset());
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  int64_t d = normalize_dim(dim, x.dim() + 1, "unsqueeze");
  Shape shape = x.shape();
  Strides strides = x.strides();
  int64_t stride = d < x.dim() ? x.stride(d) * x.size(d) : 1;
  shape.insert(shape.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  return make_view(x, shape, strides, x.offset());
}

}  // namespace nf::raw
