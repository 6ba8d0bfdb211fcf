// Data-parallel training on 3 ranks (mpirun -np 3, dist/data_parallel.h):
// every rank a shard of each batch, gradients averaged by rows, gives the
// parameters of one process stepping on the whole batch, with bit-identical
// parameters on all ranks after every step; and the DARTS hooks
// (nas::DartsSearchOptions::shard_batch / reduce_gradients) keep the weights
// and α of every rank identical through bilevel steps.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "data/dataset.h"
#include "dist/collectives.h"
#include "dist/comm.h"
#include "dist/data_parallel.h"
#include "nas/darts_search.h"
#include "nas/supernet_nb201.h"
#include "nn/nn.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tensor/random.h"
#include "tests/test_mpi_main.h"

using namespace nf;

namespace {

int R() { return dist::rank(); }

// A batch of `rows` random 6-feature rows with labels in [0, 4): the same on every rank.
data::Batch random_batch(int64_t rows, uint64_t seed) {
  Generator gen(seed);
  std::vector<int64_t> labels(static_cast<size_t>(rows));
  for (auto& l : labels) l = gen.randint(4);
  return {randn({rows, 6}, {}, &gen), from_vector(labels, {rows})};
}

std::shared_ptr<nn::Module> mlp(uint64_t seed) {
  manual_seed(seed);
  return nn::Sequential(nn::Linear(6, 16), nn::ReLU(), nn::Linear(16, 4));
}

double max_abs_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto x = a[i].to_vector<double>(), y = b[i].to_vector<double>();
    for (size_t k = 0; k < x.size(); ++k) d = std::max(d, std::abs(x[k] - y[k]));
  }
  return d;
}

// Batch sizes: 10 splits 3/3/4 (uneven), 2 leaves rank 0 without rows.
const std::vector<int64_t> kBatches = {10, 10, 2, 10, 7, 10};

}  // namespace

TEST(MpiDataParallel, ShardedStepsEqualOneProcessOnTheWholeBatch) {
  // The reference: one process, whole batches (every rank computes it alone).
  auto ref = mlp(1);
  optim::SGD ref_opt(ref->parameters(), {.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-3});
  // Data parallel: ranks start from different weights; rank 0's are broadcast.
  auto dp = mlp(R() == 0 ? 1 : 40 + R());
  dist::broadcast_module(*dp);
  ASSERT_TRUE(dist::same_on_all_ranks(dp->parameters()));
  ASSERT_EQ(max_abs_diff(dp->parameters(), ref->parameters()), 0.0);
  optim::SGD dp_opt(dp->parameters(), {.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-3});

  for (size_t step = 0; step < kBatches.size(); ++step) {
    const data::Batch batch = random_batch(kBatches[step], 100 + step);
    ref_opt.zero_grad();
    nn::cross_entropy(ref->forward(batch.images), batch.labels).backward();
    ref_opt.step();

    const data::Batch mine = dist::shard(batch);
    const int64_t rows = mine.labels.size(0);
    dp_opt.zero_grad();
    if (rows > 0) nn::cross_entropy(dp->forward(mine.images), mine.labels).backward();
    dist::average_gradients(dp->parameters(), rows);
    dp_opt.step();
    EXPECT_TRUE(dist::same_on_all_ranks(dp->parameters())) << "after step " << step;
  }
  EXPECT_LT(max_abs_diff(dp->parameters(), ref->parameters()), 2e-6);
}

TEST(MpiDataParallel, EqualWeightsOnUnevenShardsWouldNotMatch) {
  // The control of the row weighting: 10 rows split 3/3/4, averaged unweighted.
  auto ref = mlp(2), dp = mlp(2);
  const data::Batch batch = random_batch(10, 7);
  nn::cross_entropy(ref->forward(batch.images), batch.labels).backward();
  const data::Batch mine = dist::shard(batch);
  nn::cross_entropy(dp->forward(mine.images), mine.labels).backward();
  std::vector<Tensor> ref_grads, dp_grads;
  for (const Tensor& p : ref->parameters()) ref_grads.push_back(p.grad());
  for (const Tensor& p : dp->parameters()) dp_grads.push_back(p.grad());
  std::vector<Tensor> unweighted;
  for (const Tensor& g : dp_grads) unweighted.push_back(raw::clone(g));
  dist::allreduce_mean_(unweighted, 1.0);
  dist::average_gradients(dp->parameters(), mine.labels.size(0));
  EXPECT_LT(max_abs_diff(dp_grads, ref_grads), 1e-6);
  EXPECT_GT(max_abs_diff(unweighted, ref_grads), 1e-4);
}

namespace {

nas::NetworkConfig tiny_network() {
  nas::NetworkConfig c;
  c.image_shape = {1, 8, 8};
  c.num_classes = 3;
  c.channels = 2;
  c.cells = 1;
  return c;
}

std::shared_ptr<data::TensorDataset> random_images(int64_t n, uint64_t seed) {
  Generator gen(seed);
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (auto& l : labels) l = gen.randint(3);
  return std::make_shared<data::TensorDataset>(randn({n, 1, 8, 8}, {}, &gen), from_vector(labels, {n}), 3);
}

std::vector<Tensor> all_of(const nas::SupernetImpl& net) {
  std::vector<Tensor> t = net.weight_parameters();
  for (const Tensor& a : net.arch_parameters()) t.push_back(a);
  return t;
}

}  // namespace

TEST(MpiDataParallel, DartsHooksKeepWeightsAndAlphasIdenticalAcrossRanks) {
  nas::DartsSearchOptions o;
  o.order = 1;
  o.arch_lr = 0.05;  // large α steps, so that a missing reduction would show at once
  dist::set_darts_data_parallel(o);
  manual_seed(9);
  auto net = std::make_shared<nas::Nb201SupernetImpl>(tiny_network());
  nas::BilevelOptimizer opt(*net, o);
  manual_seed(9);  // the control: the same net and shards, no reduction
  auto alone = std::make_shared<nas::Nb201SupernetImpl>(tiny_network());
  nas::DartsSearchOptions plain;
  plain.arch_lr = 0.05;
  nas::BilevelOptimizer alone_opt(*alone, plain);
  ASSERT_TRUE(dist::same_on_all_ranks(all_of(*net)));
  for (int step = 0; step < 3; ++step) {
    auto train = random_images(12, 10 + uint64_t(step)), val = random_images(12, 20 + uint64_t(step));
    std::vector<int64_t> all(12);
    for (int64_t i = 0; i < 12; ++i) all[size_t(i)] = i;
    const data::Batch t = dist::shard(train->get_batch(all)), v = dist::shard(val->get_batch(all));
    opt.step(t, v);
    alone_opt.step(t, v);
    EXPECT_TRUE(dist::same_on_all_ranks(all_of(*net))) << "after step " << step;
  }
  EXPECT_FALSE(dist::same_on_all_ranks(alone->arch_parameters())) << "without the hooks the ranks drift apart";
}

TEST(MpiDataParallel, DartsSearchEpochShardsEveryBatchAndReducesEveryStep) {
  nas::DartsSearchOptions o;
  o.epochs = 1;
  o.batch_size = 12;
  dist::set_darts_data_parallel(o);
  int calls = 0;
  int64_t rows = 0;
  auto reduce = o.reduce_gradients;
  o.reduce_gradients = [&](std::vector<Tensor>& grads, int64_t n) {
    ++calls;
    rows += n;
    reduce(grads, n);
  };
  manual_seed(3);
  auto net = std::make_shared<nas::Nb201SupernetImpl>(tiny_network());
  nas::DartsSearch search(net, o, {random_images(48, 1), random_images(48, 2), {}});
  const nas::DartsEpoch epoch = search.run_epoch();
  EXPECT_EQ(epoch.steps, 4);
  EXPECT_EQ(calls, 8);  // one α and one weight reduction per step
  EXPECT_EQ(rows, 2 * 4 * 4);  // this rank's 4 of each batch of 12 rows
  EXPECT_TRUE(dist::same_on_all_ranks(all_of(*net)));
}

NF_MPI_TEST_MAIN
