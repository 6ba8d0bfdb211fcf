#include "nas/network_darts.h"

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

}  // namespace

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
  for (int64_t i = 0; i < cfg.cells; ++i) {
    const bool reduction = i == cfg.cells / 3 || i == 2 * cfg.cells / 3;
    if (reduction) c_curr *= 2;
    const DartsCell& cell = reduction ? g.reduce : g.normal;
    cells_->push_back(std::make_shared<DartsCellImpl>(cell, c_prev_prev, c_prev, c_curr, reduction, reduction_prev));
    reduction_prev = reduction;
    c_prev_prev = c_prev;
    c_prev = DartsCell::kNodes * c_curr;
  }
  classifier_ = register_module("classifier", nn::Linear(c_prev, cfg.num_classes));
}

Tensor DartsNetworkImpl::forward(const Tensor& x) {
  Tensor s0 = stem_->forward(x);
  Tensor s1 = s0;
  for (size_t i = 0; i < cells_->size(); ++i) {
    Tensor s2 = cells_->at<DartsCellImpl>(i)->forward(s0, s1, drop_path_prob);
    s0 = s1;
    s1 = s2;
  }
  return classifier_->forward(mean(s1, {2, 3}));  // global average pool: [N, 4C_last]
}

}  // namespace nf::nas
