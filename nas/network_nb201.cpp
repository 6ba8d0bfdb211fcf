#include "nas/network_nb201.h"

#include <string>

#include "autograd/functions.h"
#include "nas/network_layers.h"
#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "nn/darts_ops.h"
#include "nn/pool.h"
#include "tensor/error.h"

namespace nf::nas {

namespace {

std::shared_ptr<nn::Module> make_op(Nb201Op op, int64_t c) {
  switch (op) {
    case Nb201Op::none: return nn::Zero(1);
    case Nb201Op::skip_connect: return nn::Identity();
    case Nb201Op::nor_conv_1x1: return nn::ReLUConvBN(c, c, 1, 1, 0);
    case Nb201Op::nor_conv_3x3: return nn::ReLUConvBN(c, c, 3, 1, 1);
    case Nb201Op::avg_pool_3x3: return nn::AvgPool2d(3, {.stride = 1, .padding = 1});
  }
  NF_FAIL("nb201 network: op value ", static_cast<int>(op), " is not an nb201 op");
}

std::string edge_name(int e) {
  return std::to_string(Nb201Genotype::kEdgeTo[e]) + "<-" + std::to_string(Nb201Genotype::kEdgeFrom[e]);
}

}  // namespace

Nb201CellImpl::Nb201CellImpl(const Nb201Genotype& g, int64_t c) : nn::Module("Nb201Cell") {
  validate(g);
  edges_ = register_module("edges", std::make_shared<nn::Module>("ModuleDict"));
  for (int e = 0; e < Nb201Genotype::kEdges; ++e) edges_->register_module(edge_name(e), make_op(g.ops[e], c));
}

Tensor Nb201CellImpl::forward(const Tensor& x) {
  const auto& ops = edges_->named_children();
  Tensor nodes[Nb201Genotype::kNodes] = {x};
  // Edges are ordered by target node, so node i is complete before any edge reads it.
  for (int e = 0; e < Nb201Genotype::kEdges; ++e) {
    Tensor h = ops[e].second->forward(nodes[Nb201Genotype::kEdgeFrom[e]]);
    Tensor& to = nodes[Nb201Genotype::kEdgeTo[e]];
    to = to.defined() ? add(to, h) : h;
  }
  return nodes[Nb201Genotype::kNodes - 1];
}

Nb201ResBlockImpl::Nb201ResBlockImpl(int64_t c_in, int64_t c_out) : nn::Module("Nb201ResBlock") {
  conv_a_ = register_module("conv_a", nn::ReLUConvBN(c_in, c_out, 3, 2, 1));
  conv_b_ = register_module("conv_b", nn::ReLUConvBN(c_out, c_out, 3, 1, 1));
  downsample_ = register_module(
      "downsample", nn::Sequential(HalvePool2d(PoolKind::avg), nn::Conv2d(c_in, c_out, 1, {.bias = false})));
}

Tensor Nb201ResBlockImpl::forward(const Tensor& x) {
  return add(downsample_->forward(x), conv_b_->forward(conv_a_->forward(x)));
}

Nb201NetworkImpl::Nb201NetworkImpl(const Nb201Genotype& g, const NetworkConfig& cfg) : nn::Module("Nb201Network") {
  check_network_config(cfg, "nb201");
  NF_CHECK(cfg.image_shape[1] >= 4 && cfg.image_shape[2] >= 4,
           "nb201 network: image_shape: H and W must be >= 4 (two stride-2 reductions), got ",
           shape_str(cfg.image_shape));
  const int64_t c = cfg.channels;
  stem_ = register_module("stem", nn::Sequential(nn::Conv2d(cfg.image_shape[0], c, 3, {.padding = 1, .bias = false}),
                                                 nn::BatchNorm2d(c)));
  cells_ = register_module("cells", nn::ModuleList());
  int64_t width = c;
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) {
      cells_->push_back(std::make_shared<Nb201ResBlockImpl>(width, 2 * width));
      width *= 2;
    }
    for (int64_t i = 0; i < cfg.cells; ++i) cells_->push_back(std::make_shared<Nb201CellImpl>(g, width));
  }
  lastact_ = register_module("lastact", nn::Sequential(nn::BatchNorm2d(width), nn::ReLU()));
  classifier_ = register_module("classifier", nn::Linear(width, cfg.num_classes));
}

Tensor Nb201NetworkImpl::forward(const Tensor& x) {
  Tensor h = stem_->forward(x);
  for (size_t i = 0; i < cells_->size(); ++i) h = (*cells_)[i]->forward(h);
  h = lastact_->forward(h);
  return classifier_->forward(mean(h, {2, 3}));  // global average pool: [N, 4C]
}

}  // namespace nf::nas
