// Naive reduction oracle: visits x in row-major order and folds each element
// into the output element it maps to (reduced coordinates set to 0); double
// accumulation. argmax keeps the first maximum, and the first NaN.
#include <cmath>
#include <limits>

#include "tensor/cpu/reference.h"
#include "tensor/cpu/reference/element_access.h"

namespace nf::cpu::ref {

void reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims, Tensor& out) {
  const size_t nd = x.shape().size();
  std::vector<bool> reduced(nd, dims.empty());
  for (int64_t d : dims) reduced[size_t(normalize_dim(d, int64_t(nd), "ref reduce"))] = true;
  Shape out_shape = x.shape();
  int64_t count = 1;
  for (size_t d = 0; d < nd; ++d)
    if (reduced[d]) count *= out_shape[d], out_shape[d] = 1;
  NF_CHECK(out.shape() == out_shape, "ref reduce: output shape ", shape_str(out.shape()),
           " expected ", shape_str(out_shape));
  if (out.numel() == 0) return;

  const double inf = std::numeric_limits<double>::infinity();
  double init = op == ReduceOp::max ? -inf : (op == ReduceOp::min ? inf : 0.0);
  std::vector<double> acc(size_t(out.numel()), init);
  std::vector<int64_t> arg(size_t(out.numel()), -1);
  const Strides ostr = contiguous_strides(out_shape);

  if (x.numel() > 0) {
    std::vector<int64_t> idx(nd, 0);
    do {
      int64_t o = 0;
      for (size_t d = 0; d < nd; ++d)
        if (!reduced[d]) o += idx[d] * ostr[d];
      double v = load(x, idx);
      double& a = acc[size_t(o)];
      switch (op) {
        case ReduceOp::sum:
        case ReduceOp::mean: a += v; break;
        case ReduceOp::max: a = (std::isnan(a) || std::isnan(v)) ? NAN : std::max(a, v); break;
        case ReduceOp::min: a = (std::isnan(a) || std::isnan(v)) ? NAN : std::min(a, v); break;
        case ReduceOp::argmax: {
          int64_t pos = 0;  // position along the one reduced dim
          for (size_t d = 0; d < nd; ++d)
            if (reduced[d]) pos = idx[d];
          int64_t& best = arg[size_t(o)];
          if (best < 0 || (!std::isnan(a) && (v > a || std::isnan(v)))) a = v, best = pos;
          break;
        }
      }
    } while (next_index(idx, x.shape()));
  }

  std::vector<int64_t> oidx(nd, 0);
  int64_t o = 0;
  do {
    double r = acc[size_t(o)];
    if (op == ReduceOp::mean) r /= double(count);
    if (op == ReduceOp::argmax) r = double(arg[size_t(o)]);
    store(out, oidx, r);
    ++o;
  } while (next_index(oidx, out_shape));
}

}  // namespace nf::cpu::ref
