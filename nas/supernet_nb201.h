// The NAS-Bench-201 search network (Dong & Yang 2020; the skeleton of
// nas/network_nb201.h, as the benchmark's DARTS baseline searches it): stem,
// three stages of cfg.cells cells at C, 2C, 4C with the two ResNet reduction
// blocks between them, BN-ReLU, global average pool, linear. Every cell edge
// j -> i is a MixedOp over the 5 NB201 ops (none, skip_connect, nor_conv_1x1,
// nor_conv_3x3, avg_pool_3x3; the convs' BN without affine parameters).
// One α, "cell" [6, 5] (edges in notation order "1<-0", "2<-0", "2<-1",
// "3<-0", "3<-1", "3<-2"; columns in Nb201Op order), is shared by every cell;
// parameter "alphas_cell", initialised to 1e-3 * N(0, 1) after the weights.
#pragma once
#include <memory>
#include <vector>

#include "nas/genotype_nb201.h"
#include "nas/mixed_op.h"
#include "nas/network.h"
#include "nn/container.h"
#include "nn/linear.h"

namespace nf::nas {

class Nb201SearchCellImpl : public nn::Module {
 public:
  explicit Nb201SearchCellImpl(int64_t channels);
  // x [N, C, H, W], weights [6, 5] = softmax(α) -> [N, C, H, W] (node 3).
  Tensor forward(const Tensor& x, const Tensor& weights);

 private:
  std::vector<std::shared_ptr<MixedOpImpl>> edges_;  // children "edges.i<-j", in edge order
};

class Nb201SupernetImpl : public SupernetImpl {
 public:
  // Throws nf::Error when cfg does not suit (image H, W >= 4).
  explicit Nb201SupernetImpl(const NetworkConfig& cfg);
  Tensor forward(const Tensor& x) override;  // [N, C_img, H, W] -> [N, classes]

  std::string space_name() const override { return "nb201"; }
  std::vector<std::string> op_names() const override;
  std::vector<std::string> edge_names() const override;
  // derive_nb201(softmax(alphas_cell)).
  Genotype derive() const override;

  Tensor alphas_cell;  // [6, 5]

 private:
  std::shared_ptr<nn::SequentialImpl> stem_, lastact_;
  std::shared_ptr<nn::ModuleListImpl> cells_;  // search cells and reduction blocks, in order
  std::vector<bool> is_cell_;
  std::shared_ptr<nn::LinearImpl> classifier_;
};

// The strongest op of every edge ('none' included, as the benchmark's DARTS
// baseline): weights [6, 5] softmax rows.
Nb201Genotype derive_nb201(const Tensor& weights);

}  // namespace nf::nas
