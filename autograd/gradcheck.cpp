#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "autograd/engine.h"
#include "autograd/grad_mode.h"
#include "tensor/factory.h"

namespace nf::autograd {

namespace {

// "[1,0,2]": the multi-index of flat element i of `shape`.
std::string index_str(int64_t i, const Shape& shape) {
  Shape idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = i % shape[d];
    i /= shape[d];
  }
  return shape_str(idx);
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

}  // namespace

GradcheckReport gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& opt) {
  GradcheckReport rep;
  auto fail = [&rep](std::string msg) {
    if (rep.ok) rep.message = std::move(msg);
    rep.ok = false;
  };

  std::vector<size_t> diff;  // the inputs to differentiate
  std::vector<Tensor> diff_inputs;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& x = inputs[k];
    if (!x.defined() || !x.requires_grad()) continue;
    NF_CHECK(x.dtype() == DType::f64 && x.device().is_cpu() && x.is_contiguous() && x.is_leaf(),
             "gradcheck: input ", k, " must be a contiguous f64 CPU leaf, got ", dtype_name(x.dtype()),
             " ", shape_str(x.shape()), " on ", x.device().str());
    diff.push_back(k);
    diff_inputs.push_back(x);
  }
  NF_CHECK(!diff.empty(), "gradcheck: no input requires grad");

  // Analytic Jacobian, one row (output element) per backward pass.
  Tensor out = fn(inputs);
  NF_CHECK(out.requires_grad(), "gradcheck: the output does not depend on any input that requires grad");
  const Shape out_shape = out.shape();
  const int64_t n_out = out.numel();
  const std::vector<double> f0 = values(out);
  std::vector<std::vector<double>> jac(diff.size());
  for (size_t k = 0; k < diff.size(); ++k) jac[k].assign(n_out * inputs[diff[k]].numel(), 0.0);
  for (int64_t j = 0; j < n_out; ++j) {
    std::vector<double> onehot(n_out, 0.0);
    onehot[j] = 1.0;
    Tensor seed = from_vector(onehot, out_shape).to(out.dtype());
    auto grads = grad({out}, diff_inputs, {seed}, /*retain_graph=*/j + 1 < n_out, /*allow_unused=*/true);
    ++rep.backward_passes;
    for (size_t k = 0; k < diff.size(); ++k) {
      if (!grads[k].defined()) continue;
      std::vector<double> row = values(grads[k]);
      std::copy(row.begin(), row.end(), jac[k].begin() + j * static_cast<int64_t>(row.size()));
    }
  }

  // Numeric Jacobian, one column (input element) per pair of forwards.
  NoGradGuard no_grad;
  for (size_t k = 0; k < diff.size() && rep.ok; ++k) {
    const Tensor& x = inputs[diff[k]];
    double* p = x.data<double>();
    const int64_t n_in = x.numel();
    auto eval_at = [&](int64_t i, double v) {
      p[i] = v;
      x.bump_version();
      return values(fn(inputs));
    };
    for (int64_t i = 0; i < n_in && rep.ok; ++i) {
      const double orig = p[i];
      std::vector<double> fp = eval_at(i, orig + opt.eps);
      std::vector<double> fm = eval_at(i, orig - opt.eps);
      p[i] = orig;
      x.bump_version();
      for (int64_t j = 0; j < n_out; ++j) {
        auto where = [&] {
          std::ostringstream os;
          os << "d out" << index_str(j, out_shape) << " / d input" << diff[k] << index_str(i, x.shape());
          return os.str();
        };
        double second = std::abs(fp[j] + fm[j] - 2.0 * f0[j]);
        if (opt.check_kinks && second > opt.kink_tol * opt.eps) {
          std::ostringstream os;
          os << "gradcheck: " << where() << ": input" << diff[k] << index_str(i, x.shape())
             << " is within eps=" << opt.eps << " of a kink (second difference " << second
             << "); build the case's inputs away from non-differentiable points";
          fail(os.str());
          break;
        }
        double numeric = (fp[j] - fm[j]) / (2.0 * opt.eps);
        double analytic = jac[k][j * n_in + i];
        double err = std::abs(analytic - numeric);
        double ratio = err / (opt.atol + opt.rtol * std::abs(numeric));
        bool worse = std::isnan(ratio) || ratio > rep.worst_ratio;
        if (worse && !std::isnan(rep.worst_ratio)) {  // a NaN, once seen, stays the worst
          rep.worst_ratio = ratio;
          rep.worst_abs_error = err;
          rep.worst_input = static_cast<int64_t>(diff[k]);
          rep.worst_input_elem = i;
          rep.worst_output_elem = j;
          rep.worst_analytic = analytic;
          rep.worst_numeric = numeric;
        }
      }
    }
  }
  if (rep.ok && !(rep.worst_ratio <= 1.0)) {
    std::ostringstream os;
    const Tensor& x = inputs[rep.worst_input];
    os << "gradcheck: d out" << index_str(rep.worst_output_elem, out_shape) << " / d input"
       << rep.worst_input << index_str(rep.worst_input_elem, x.shape()) << ": analytic "
       << rep.worst_analytic << " vs numeric " << rep.worst_numeric << " (error " << rep.worst_abs_error
       << ", tolerance " << opt.atol + opt.rtol * std::abs(rep.worst_numeric) << ")";
    fail(os.str());
  }
  return rep;
}

}  // namespace nf::autograd
