#include "cuda/tensor_arg.h"

namespace nf::cuda {

std::vector<TensorArg> collapsed_args(const Shape& shape, const std::vector<const Tensor*>& ts,
                                      const char* op) {
  const size_t k = ts.size();
  std::vector<int64_t> sizes;
  std::vector<std::vector<int64_t>> strides(k);
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !sizes.empty();
    for (size_t t = 0; t < k && merge; ++t)
      merge = strides[t].back() == ts[t]->strides()[d] * shape[d];
    if (merge) {
      sizes.back() *= shape[d];
      for (size_t t = 0; t < k; ++t) strides[t].back() = ts[t]->strides()[d];
    } else {
      sizes.push_back(shape[d]);
      for (size_t t = 0; t < k; ++t) strides[t].push_back(ts[t]->strides()[d]);
    }
  }
  if (sizes.empty()) {  // a single element
    sizes.push_back(1);
    for (auto& s : strides) s.push_back(1);
  }
  NF_CHECK(sizes.size() <= size_t(kMaxDims), op, ": shape ", shape_str(shape), " has ",
           sizes.size(), " dims that cannot be merged; the cuda kernels take at most ", kMaxDims);

  std::vector<TensorArg> args(k);
  for (size_t t = 0; t < k; ++t) {
    args[t].data = ts[t]->raw_data();
    args[t].dtype = ts[t]->dtype();
    args[t].ndim = int(sizes.size());
    for (size_t d = 0; d < sizes.size(); ++d) {
      args[t].sizes[d] = sizes[d];
      args[t].strides[d] = strides[t][d];
    }
  }
  return args;
}

}  // namespace nf::cuda
