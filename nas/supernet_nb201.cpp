#include "nas/supernet_nb201.h"

#include <string>

#include "autograd/functions.h"
#include "nas/network_layers.h"
#include "nas/network_nb201.h"
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

std::shared_ptr<nn::Module> make_search_op(Nb201Op op, int64_t c) {
  switch (op) {
    case Nb201Op::none: return nn::Zero(1);
    case Nb201Op::skip_connect: return nn::Identity();
    case Nb201Op::nor_conv_1x1: return nn::ReLUConvBN(c, c, 1, 1, 0, kAffine);
    case Nb201Op::nor_conv_3x3: return nn::ReLUConvBN(c, c, 3, 1, 1, kAffine);
    case Nb201Op::avg_pool_3x3: return nn::AvgPool2d(3, {.stride = 1, .padding = 1});
  }
  NF_FAIL("nb201 supernet: op value ", static_cast<int>(op), " is not an nb201 op");
}

std::string edge_name(int e) {
  return std::to_string(Nb201Genotype::kEdgeTo[size_t(e)]) + "<-" + std::to_string(Nb201Genotype::kEdgeFrom[size_t(e)]);
}

}  // namespace

Nb201SearchCellImpl::Nb201SearchCellImpl(int64_t c) : nn::Module("Nb201SearchCell") {
  auto edges = register_module("edges", std::make_shared<nn::Module>("ModuleDict"));
  for (int e = 0; e < Nb201Genotype::kEdges; ++e) {
    std::vector<std::shared_ptr<nn::Module>> ops;
    for (int k = 0; k < kNb201NumOps; ++k) ops.push_back(make_search_op(Nb201Op(k), c));
    edges_.push_back(edges->register_module(edge_name(e), MixedOp(std::move(ops))));
  }
}

Tensor Nb201SearchCellImpl::forward(const Tensor& x, const Tensor& weights) {
  Tensor nodes[Nb201Genotype::kNodes] = {x};
  // Edges are ordered by target node, so node i is complete before any edge reads it.
  for (int e = 0; e < Nb201Genotype::kEdges; ++e) {
    Tensor h = edges_[size_t(e)]->forward(nodes[Nb201Genotype::kEdgeFrom[size_t(e)]], select(weights, 0, e));
    Tensor& to = nodes[Nb201Genotype::kEdgeTo[size_t(e)]];
    to = to.defined() ? add(to, h) : h;
  }
  return nodes[Nb201Genotype::kNodes - 1];
}

Nb201SupernetImpl::Nb201SupernetImpl(const NetworkConfig& cfg) : SupernetImpl("Nb201Supernet") {
  check_network_config(cfg, "nb201 supernet");
  NF_CHECK(cfg.image_shape[1] >= 4 && cfg.image_shape[2] >= 4,
           "nb201 supernet: image_shape: H and W must be >= 4 (two stride-2 reductions), got ",
           shape_str(cfg.image_shape));
  const int64_t c = cfg.channels;
  stem_ = register_module("stem", nn::Sequential(nn::Conv2d(cfg.image_shape[0], c, 3, {.padding = 1, .bias = false}),
                                                 nn::BatchNorm2d(c)));
  cells_ = register_module("cells", nn::ModuleList());
  int64_t width = c;
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) {
      cells_->push_back(std::make_shared<Nb201ResBlockImpl>(width, 2 * width));
      is_cell_.push_back(false);
      width *= 2;
    }
    for (int64_t i = 0; i < cfg.cells; ++i) {
      cells_->push_back(std::make_shared<Nb201SearchCellImpl>(width));
      is_cell_.push_back(true);
    }
  }
  lastact_ = register_module("lastact", nn::Sequential(nn::BatchNorm2d(width), nn::ReLU()));
  classifier_ = register_module("classifier", nn::Linear(width, cfg.num_classes));
  alphas_cell = register_alpha("cell", raw::mul_scalar(randn({Nb201Genotype::kEdges, kNb201NumOps}), 1e-3));
}

Tensor Nb201SupernetImpl::forward(const Tensor& x) {
  const Tensor w = softmax(alphas_cell, -1);
  Tensor h = stem_->forward(x);
  for (size_t i = 0; i < cells_->size(); ++i)
    h = is_cell_[i] ? cells_->at<Nb201SearchCellImpl>(i)->forward(h, w) : (*cells_)[i]->forward(h);
  h = lastact_->forward(h);
  return classifier_->forward(mean(h, {2, 3}));  // global average pool: [N, 4C]
}

std::vector<std::string> Nb201SupernetImpl::op_names() const {
  std::vector<std::string> out;
  for (int k = 0; k < kNb201NumOps; ++k) out.emplace_back(nb201_op_name(Nb201Op(k)));
  return out;
}

std::vector<std::string> Nb201SupernetImpl::edge_names() const {
  std::vector<std::string> out;
  for (int e = 0; e < Nb201Genotype::kEdges; ++e) out.push_back(edge_name(e));
  return out;
}

Genotype Nb201SupernetImpl::derive() const { return derive_nb201(alpha_weights(alphas_cell)); }

Nb201Genotype derive_nb201(const Tensor& weights) {
  NF_CHECK(weights.dim() == 2 && weights.size(0) == Nb201Genotype::kEdges && weights.size(1) == kNb201NumOps,
           "nb201 derivation: expected weights [", Nb201Genotype::kEdges, ", ", kNb201NumOps, "], got ",
           shape_str(weights.shape()));
  const std::vector<double> w = raw::cast(weights.detach(), DType::f64).to_vector<double>();
  Nb201Genotype g;
  for (int e = 0; e < Nb201Genotype::kEdges; ++e) {
    int best = 0;
    for (int k = 1; k < kNb201NumOps; ++k)
      if (w[size_t(e * kNb201NumOps + k)] > w[size_t(e * kNb201NumOps + best)]) best = k;
    g.ops[size_t(e)] = Nb201Op(best);
  }
  return g;
}

}  // namespace nf::nas
