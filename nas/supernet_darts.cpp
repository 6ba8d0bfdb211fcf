#include "nas/supernet_darts.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "autograd/functions.h"
#include "nas/network_layers.h"
#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "nn/darts_ops.h"
#include "nn/pool.h"
#include "tensor/error.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace nf::nas {

namespace {

constexpr bool kAffine = false;  // search-time BN: no learned scale/shift

// The reference's OPS table at search time (affine=False), pools followed by BN.
std::shared_ptr<nn::Module> make_search_op(DartsOp op, int64_t c, int64_t stride) {
  switch (op) {
    case DartsOp::none: return nn::Zero(stride);
    case DartsOp::max_pool_3x3:
      return nn::Sequential(nn::MaxPool2d(3, {.stride = stride, .padding = 1}),
                            nn::BatchNorm2d(c, {.affine = kAffine}));
    case DartsOp::avg_pool_3x3:
      return nn::Sequential(nn::AvgPool2d(3, {.stride = stride, .padding = 1}),
                            nn::BatchNorm2d(c, {.affine = kAffine}));
    case DartsOp::skip_connect:
      if (stride == 1) return nn::Identity();
      return nn::FactorizedReduce(c, c, kAffine);
    case DartsOp::sep_conv_3x3: return nn::SepConv(c, c, 3, stride, 1, kAffine);
    case DartsOp::sep_conv_5x5: return nn::SepConv(c, c, 5, stride, 2, kAffine);
    case DartsOp::dil_conv_3x3: return nn::DilConv(c, c, 3, stride, 2, 2, kAffine);
    case DartsOp::dil_conv_5x5: return nn::DilConv(c, c, 5, stride, 4, 2, kAffine);
  }
  NF_FAIL("darts supernet: op value ", static_cast<int>(op), " is not a darts op");
}

std::shared_ptr<MixedOpImpl> darts_mixed_op(int64_t c, int64_t stride) {
  std::vector<std::shared_ptr<nn::Module>> ops;
  for (int k = 0; k < kDartsNumOps; ++k) ops.push_back(make_search_op(DartsOp(k), c, stride));
  return MixedOp(std::move(ops));
}

void check_weights(const Tensor& w, const char* what) {
  NF_CHECK(w.dim() == 2 && w.size(0) == kDartsSearchEdges && w.size(1) == kDartsNumOps, "darts derivation: ", what,
           ": expected weights [", kDartsSearchEdges, ", ", kDartsNumOps, "], got ", shape_str(w.shape()));
}

}  // namespace

DartsSearchCellImpl::DartsSearchCellImpl(int64_t c_prev_prev, int64_t c_prev, int64_t c, bool reduce,
                                         bool reduction_prev)
    : nn::Module("DartsSearchCell"), reduction(reduce) {
  if (reduction_prev)
    preprocess0_ = register_module("preprocess0", nn::FactorizedReduce(c_prev_prev, c, kAffine));
  else
    preprocess0_ = register_module("preprocess0", nn::ReLUConvBN(c_prev_prev, c, 1, 1, 0, kAffine));
  preprocess1_ = register_module("preprocess1", nn::ReLUConvBN(c_prev, c, 1, 1, 0, kAffine));
  ops_ = register_module("_ops", nn::ModuleList());
  for (int node = 0; node < DartsCell::kNodes; ++node)
    for (int input = 0; input < node + 2; ++input) ops_->push_back(darts_mixed_op(c, reduction && input < 2 ? 2 : 1));
}

Tensor DartsSearchCellImpl::forward(const Tensor& s0, const Tensor& s1, const Tensor& weights) {
  std::array<Tensor, 2 + DartsCell::kNodes> states;
  states[0] = preprocess0_->forward(s0);
  states[1] = preprocess1_->forward(s1);
  for (int node = 0; node < DartsCell::kNodes; ++node) {
    Tensor sum;
    for (int input = 0; input < node + 2; ++input) {
      const int e = darts_node_first_edge(node) + input;
      Tensor h = ops_->at<MixedOpImpl>(size_t(e))->forward(states[input], select(weights, 0, e));
      sum = sum.defined() ? add(sum, h) : h;
    }
    states[2 + node] = sum;
  }
  return cat({states[2], states[3], states[4], states[5]}, 1);
}

DartsSupernetImpl::DartsSupernetImpl(const NetworkConfig& cfg) : SupernetImpl("DartsSupernet") {
  check_network_config(cfg, "darts supernet");
  constexpr int64_t kStemMultiplier = 3;
  const int64_t c = cfg.channels;
  int64_t c_curr = kStemMultiplier * c;
  stem_ = register_module("stem", nn::Sequential(nn::Conv2d(cfg.image_shape[0], c_curr, 3, {.padding = 1, .bias = false}),
                                                 nn::BatchNorm2d(c_curr)));
  cells_ = register_module("cells", nn::ModuleList());
  int64_t c_prev_prev = c_curr, c_prev = c_curr;
  c_curr = c;
  bool reduction_prev = false;
  for (int64_t i = 0; i < cfg.cells; ++i) {
    const bool reduction = i == cfg.cells / 3 || i == 2 * cfg.cells / 3;
    if (reduction) c_curr *= 2;
    cells_->push_back(std::make_shared<DartsSearchCellImpl>(c_prev_prev, c_prev, c_curr, reduction, reduction_prev));
    reduction_prev = reduction;
    c_prev_prev = c_prev;
    c_prev = DartsCell::kNodes * c_curr;
  }
  classifier_ = register_module("classifier", nn::Linear(c_prev, cfg.num_classes));
  // After the weights, as the reference: 1e-3 * N(0, 1).
  alphas_normal = register_alpha("normal", raw::mul_scalar(randn({kDartsSearchEdges, kDartsNumOps}), 1e-3));
  alphas_reduce = register_alpha("reduce", raw::mul_scalar(randn({kDartsSearchEdges, kDartsNumOps}), 1e-3));
}

Tensor DartsSupernetImpl::forward(const Tensor& x) {
  const Tensor w_normal = softmax(alphas_normal, -1), w_reduce = softmax(alphas_reduce, -1);
  Tensor s0 = stem_->forward(x);
  Tensor s1 = s0;
  for (size_t i = 0; i < cells_->size(); ++i) {
    auto cell = cells_->at<DartsSearchCellImpl>(i);
    Tensor s2 = cell->forward(s0, s1, cell->reduction ? w_reduce : w_normal);
    s0 = s1;
    s1 = s2;
  }
  return classifier_->forward(mean(s1, {2, 3}));  // global average pool: [N, 4C_last]
}

std::vector<std::string> DartsSupernetImpl::op_names() const {
  std::vector<std::string> out;
  for (int k = 0; k < kDartsNumOps; ++k) out.emplace_back(darts_op_name(DartsOp(k)));
  return out;
}

std::vector<std::string> DartsSupernetImpl::edge_names() const {
  std::vector<std::string> out;
  for (int node = 0; node < DartsCell::kNodes; ++node)
    for (int input = 0; input < node + 2; ++input) out.push_back(std::to_string(node + 2) + "<-" + std::to_string(input));
  return out;
}

Genotype DartsSupernetImpl::derive() const {
  return derive_darts(alpha_weights(alphas_normal), alpha_weights(alphas_reduce));
}

DartsCell derive_darts_cell(const Tensor& weights) {
  check_weights(weights, "cell");
  const std::vector<double> w = raw::cast(weights.detach(), DType::f64).to_vector<double>();
  auto at = [&](int e, int k) { return w[size_t(e * kDartsNumOps + k)]; };
  const int none = int(DartsOp::none);
  DartsCell cell;
  for (int node = 0; node < DartsCell::kNodes; ++node) {
    const int first = darts_node_first_edge(node);
    // Per input: its best op other than 'none', and that op's weight.
    std::vector<int> best_op(size_t(node + 2));
    std::vector<double> strength(size_t(node + 2));
    for (int input = 0; input < node + 2; ++input) {
      int best = -1;
      for (int k = 0; k < kDartsNumOps; ++k)
        if (k != none && (best < 0 || at(first + input, k) > at(first + input, best))) best = k;
      best_op[size_t(input)] = best;
      strength[size_t(input)] = at(first + input, best);
    }
    std::vector<int> inputs(size_t(node + 2));
    std::iota(inputs.begin(), inputs.end(), 0);
    std::stable_sort(inputs.begin(), inputs.end(),
                     [&](int a, int b) { return strength[size_t(a)] > strength[size_t(b)]; });
    for (int k = 0; k < DartsCell::kEdgesPerNode; ++k) {
      const int input = inputs[size_t(k)];
      cell.edges[size_t(node * DartsCell::kEdgesPerNode + k)] = {DartsOp(best_op[size_t(input)]), input};
    }
  }
  return cell;
}

DartsGenotype derive_darts(const Tensor& normal_weights, const Tensor& reduce_weights) {
  check_weights(normal_weights, "normal");
  check_weights(reduce_weights, "reduce");
  DartsGenotype g{derive_darts_cell(normal_weights), derive_darts_cell(reduce_weights)};
  validate(g);
  return g;
}

}  // namespace nf::nas
