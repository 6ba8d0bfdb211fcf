#include "nas/network_darts.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "autograd/functions.h"
#include "nas/network_layers.h"
#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "nn/darts_ops.h"
#include "nn/dropout.h"
#include "nn/pool.h"
#include "tensor/error.h"

namespace nf::nas {

namespace {

// The reference's OPS table (operations.py) for C channels, affine BN.
std::shared_ptr<nn::Module> make_op(DartsOp op, int64_t c, int64_t stride) {
  switch (op) {
    case DartsOp::none: return nn::Zero(stride);
    case DartsOp::max_pool_3x3: return nn::MaxPool2d(3, {.stride = stride, .padding = 1});
    case DartsOp::avg_pool_3x3: return nn::AvgPool2d(3, {.stride = stride, .padding = 1});
    case DartsOp::skip_connect:
      if (stride == 1) return nn::Identity();
      return nn::FactorizedReduce(c, c);
    case DartsOp::sep_conv_3x3: return nn::SepConv(c, c, 3, stride, 1);
    case DartsOp::sep_conv_5x5: return nn::SepConv(c, c, 5, stride, 2);
    case DartsOp::dil_conv_3x3: return nn::DilConv(c, c, 3, stride, 2, 2);
    case DartsOp::dil_conv_5x5: return nn::DilConv(c, c, 5, stride, 4, 2);
  }
  NF_FAIL("darts network: op value ", static_cast<int>(op), " is not a darts op");
}

// The auxiliary head's pool: a fixed rectangular average pool (nn::AvgPool2d is square).
class AuxPoolImpl : public nn::Module {
 public:
  explicit AuxPoolImpl(const PoolParams& p) : nn::Module("AuxAvgPool2d"), params_(p) {}
  Tensor forward(const Tensor& x) override { return avg_pool2d(x, params_); }

 private:
  PoolParams params_;
};

// Stride and kernel along one dimension of size n >= 2 so that two windows cover it.
std::pair<int64_t, int64_t> aux_pool_dim(int64_t n) {
  const int64_t stride = std::min<int64_t>(3, n / 2);
  return {n - stride, stride};  // (kernel, stride): outputs (n - kernel) / stride + 1 = 2
}

// Halving that rounds up, as every stride-2 op of the network does.
int64_t halved(int64_t n) { return (n + 1) / 2; }

}  // namespace

AuxiliaryHeadImpl::AuxiliaryHeadImpl(int64_t c, int64_t h, int64_t w, int64_t classes)
    : nn::Module("AuxiliaryHead"), c_(c), h_(h), w_(w) {
  NF_CHECK(h >= 2 && w >= 2, "darts network: the auxiliary head needs a map of at least 2x2, got ", h, "x", w,
           " (use larger images or fewer cells before it)");
  const auto [kh, sh] = aux_pool_dim(h);
  const auto [kw, sw] = aux_pool_dim(w);
  const PoolParams pool{.kernel_h = kh, .kernel_w = kw, .stride_h = sh, .stride_w = sw, .pad_h = 0, .pad_w = 0};
  features_ = register_module(
      "features", nn::Sequential(nn::ReLU(), std::make_shared<AuxPoolImpl>(pool), nn::Conv2d(c, 128, 1, {.bias = false}),
                                 nn::BatchNorm2d(128), nn::ReLU(), nn::Conv2d(128, 768, 2, {.bias = false}),
                                 nn::BatchNorm2d(768), nn::ReLU()));
  classifier_ = register_module("classifier", nn::Linear(768, classes));
}

Tensor AuxiliaryHeadImpl::forward(const Tensor& x) {
  NF_CHECK(x.dim() == 4 && x.size(1) == c_ && x.size(2) == h_ && x.size(3) == w_, "AuxiliaryHead: expected input [N, ",
           c_, ", ", h_, ", ", w_, "] (the size it was built for), got ", shape_str(x.shape()));
  return classifier_->forward(flatten(features_->forward(x), 1));  // [N, 768, 1, 1] -> [N, 768]
}

DartsCellImpl::DartsCellImpl(const DartsCell& cell, int64_t c_prev_prev, int64_t c_prev, int64_t c, bool reduce,
                             bool reduction_prev)
    : nn::Module("DartsCell"), reduction(reduce) {
  if (reduction_prev)
    preprocess0_ = register_module("preprocess0", nn::FactorizedReduce(c_prev_prev, c));
  else
    preprocess0_ = register_module("preprocess0", nn::ReLUConvBN(c_prev_prev, c, 1, 1, 0));
  preprocess1_ = register_module("preprocess1", nn::ReLUConvBN(c_prev, c, 1, 1, 0));
  ops_ = register_module("_ops", nn::ModuleList());
  for (int e = 0; e < DartsCell::kEdges; ++e) {
    const DartsEdge& edge = cell.edges[e];
    const int64_t stride = reduction && edge.input < 2 ? 2 : 1;
    ops_->push_back(make_op(edge.op, c, stride));
    inputs_[e] = edge.input;
    identity_[e] = edge.op == DartsOp::skip_connect && stride == 1;
  }
}

Tensor DartsCellImpl::forward(const Tensor& s0, const Tensor& s1, double drop_path_prob) {
  std::array<Tensor, 2 + DartsCell::kNodes> states;
  states[0] = preprocess0_->forward(s0);
  states[1] = preprocess1_->forward(s1);
  const bool drop = is_training() && drop_path_prob > 0;
  for (int node = 0; node < DartsCell::kNodes; ++node) {
    Tensor sum;
    for (int k = 0; k < DartsCell::kEdgesPerNode; ++k) {
      const int e = node * DartsCell::kEdgesPerNode + k;
      Tensor h = (*ops_)[e]->forward(states[inputs_[e]]);
      if (drop && !identity_[e]) h = nn::drop_path(h, drop_path_prob, true);
      sum = sum.defined() ? add(sum, h) : h;
    }
    states[2 + node] = sum;
  }
  return cat({states[2], states[3], states[4], states[5]}, 1);
}

DartsNetworkImpl::DartsNetworkImpl(const DartsGenotype& g, const NetworkConfig& cfg)
    : nn::Module("DartsNetwork"), drop_path_prob(cfg.drop_path) {
  check_network_config(cfg, "darts");
  validate(g);
  constexpr int64_t kStemMultiplier = 3;
  const int64_t c = cfg.channels;
  int64_t c_curr = kStemMultiplier * c;
  stem_ = register_module("stem", nn::Sequential(nn::Conv2d(cfg.image_shape[0], c_curr, 3, {.padding = 1, .bias = false}),
                                                 nn::BatchNorm2d(c_curr)));
  cells_ = register_module("cells", nn::ModuleList());
  int64_t c_prev_prev = c_curr, c_prev = c_curr;
  c_curr = c;
  bool reduction_prev = false;
  int64_t h = cfg.image_shape[1], w = cfg.image_shape[2];  // the current cell's output size
  int64_t aux_c = 0, aux_h = 0, aux_w = 0;
  for (int64_t i = 0; i < cfg.cells; ++i) {
    const bool reduction = i == cfg.cells / 3 || i == 2 * cfg.cells / 3;
    if (reduction) {
      c_curr *= 2;
      h = halved(h);
      w = halved(w);
    }
    const DartsCell& cell = reduction ? g.reduce : g.normal;
    cells_->push_back(std::make_shared<DartsCellImpl>(cell, c_prev_prev, c_prev, c_curr, reduction, reduction_prev));
    reduction_prev = reduction;
    c_prev_prev = c_prev;
    c_prev = DartsCell::kNodes * c_curr;
    if (i == 2 * cfg.cells / 3) std::tie(aux_c, aux_h, aux_w) = std::tuple(c_prev, h, w);
  }
  classifier_ = register_module("classifier", nn::Linear(c_prev, cfg.num_classes));
  if (cfg.auxiliary) {
    aux_cell_ = 2 * cfg.cells / 3;
    aux_head_ = register_module("auxiliary_head",
                                std::make_shared<AuxiliaryHeadImpl>(aux_c, aux_h, aux_w, cfg.num_classes));
  }
}

DartsOutput DartsNetworkImpl::run(const Tensor& x, bool auxiliary) {
  DartsOutput out;
  Tensor s0 = stem_->forward(x);
  Tensor s1 = s0;
  for (size_t i = 0; i < cells_->size(); ++i) {
    Tensor s2 = cells_->at<DartsCellImpl>(i)->forward(s0, s1, drop_path_prob);
    s0 = s1;
    s1 = s2;
    if (auxiliary && int64_t(i) == aux_cell_) out.auxiliary = aux_head_->forward(s1);
  }
  out.logits = classifier_->forward(mean(s1, {2, 3}));  // global average pool: [N, 4C_last]
  return out;
}

Tensor DartsNetworkImpl::forward(const Tensor& x) { return run(x, false).logits; }

DartsOutput DartsNetworkImpl::forward_with_auxiliary(const Tensor& x) {
  return run(x, aux_head_ != nullptr && is_training());
}

}  // namespace nf::nas
