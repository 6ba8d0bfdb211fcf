// Data-parallel DARTS on 3 ranks (mpirun -np 3; nas/darts_search.h's hooks set
// by dist::set_darts_data_parallel): every rank a shard of each batch, and every
// gradient that feeds an update (second order: the unrolled step's too) averaged
// by rows, gives the weights and α of one process stepping on the whole batch,
// for first and second order, with bit-identical weights and α on all ranks.
//
// BatchNorm normalises each rank's rows by their own statistics, which one
// process on the whole batch does not; so the bilevel-step tests run the
// supernet in eval mode (BN on fixed running statistics) and the search test
// uses one image for every example (labels differ): then a shard's statistics
// are the whole batch's.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "data/dataset.h"
#include "dist/collectives.h"
#include "dist/comm.h"
#include "dist/data_parallel.h"
#include "nas/darts_search.h"
#include "nas/notation.h"
#include "nas/supernet_nb201.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tensor/random.h"
#include "tests/test_mpi_main.h"

using namespace nf;

namespace {

nas::NetworkConfig tiny_network() {
  nas::NetworkConfig c;
  c.image_shape = {1, 8, 8};
  c.num_classes = 3;
  c.channels = 2;
  c.cells = 1;
  return c;
}

// n random 8x8 images with labels in [0, 3); one image repeated when `same_image`.
std::shared_ptr<data::TensorDataset> images(int64_t n, uint64_t seed, bool same_image = false) {
  Generator gen(seed);
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (auto& l : labels) l = gen.randint(3);
  Tensor x = same_image ? raw::contiguous(raw::expand(randn({1, 1, 8, 8}, {}, &gen), {n, 1, 8, 8}))
                        : randn({n, 1, 8, 8}, {}, &gen);
  return std::make_shared<data::TensorDataset>(x, from_vector(labels, {n}), 3);
}

data::Batch whole(const data::TensorDataset& set) {
  std::vector<int64_t> all(static_cast<size_t>(set.size()));
  for (int64_t i = 0; i < set.size(); ++i) all[size_t(i)] = i;
  return set.get_batch(all);
}

std::vector<Tensor> all_of(const nas::SupernetImpl& net) {
  std::vector<Tensor> t = net.weight_parameters();
  for (const Tensor& a : net.arch_parameters()) t.push_back(a);
  return t;
}

double max_abs_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto x = a[i].to_vector<double>(), y = b[i].to_vector<double>();
    for (size_t k = 0; k < x.size(); ++k) d = std::max(d, std::abs(x[k] - y[k]));
  }
  return d;
}

double max_abs(const std::vector<Tensor>& ts) {
  double m = 0;
  for (const Tensor& t : ts)
    for (double v : t.to_vector<double>()) m = std::max(m, std::abs(v));
  return m;
}

nas::DartsSearchOptions options(int64_t order) {
  nas::DartsSearchOptions o;
  o.order = order;
  o.arch_lr = 0.05;  // large α steps, so that a wrong gradient shows at once
  o.lr = 0.1;
  return o;
}

// The 1-process reference and the data-parallel copy of one supernet.
struct Pair {
  std::shared_ptr<nas::Nb201SupernetImpl> ref, dp;
};

Pair make_pair_of_nets(uint64_t seed) {
  Pair p;
  manual_seed(seed);
  p.ref = std::make_shared<nas::Nb201SupernetImpl>(tiny_network());
  // The data-parallel ranks start from different weights: rank 0's are broadcast.
  manual_seed(dist::rank() == 0 ? seed : seed + 100 + uint64_t(dist::rank()));
  p.dp = std::make_shared<nas::Nb201SupernetImpl>(tiny_network());
  dist::broadcast_module(*p.dp);
  return p;
}

class MpiDarts : public testing::TestWithParam<int64_t> {};  // the order

}  // namespace

TEST_P(MpiDarts, ArchGradientOnShardsIsTheWholeBatchOne) {
  const int64_t order = GetParam();
  Pair p = make_pair_of_nets(4);
  p.ref->eval();
  p.dp->eval();
  nas::BilevelOptimizer ref(*p.ref, options(order));
  nas::DartsSearchOptions o = options(order);
  dist::set_darts_data_parallel(o);
  nas::BilevelOptimizer dp(*p.dp, o);
  // 10 training rows (3/3/4 over the ranks) and 9 validation rows (3/3/3).
  const data::Batch train = whole(*images(10, 1)), val = whole(*images(9, 2));
  const data::Batch my_train = dist::shard(train), my_val = dist::shard(val);
  const double xi = order == 2 ? 0.1 : 0.0;
  const nas::ArchGradient a = ref.arch_gradient(train.images, train.labels, val.images, val.labels, xi);
  const nas::ArchGradient b = dp.arch_gradient(my_train.images, my_train.labels, my_val.images, my_val.labels, xi);
  ASSERT_EQ(a.grads.size(), b.grads.size());
  EXPECT_GT(max_abs(a.grads), 1e-4);
  EXPECT_LT(max_abs_diff(a.grads, b.grads), 1e-5 * max_abs(a.grads));
  EXPECT_TRUE(dist::same_on_all_ranks(b.grads));
  EXPECT_EQ(max_abs_diff(all_of(*p.dp), all_of(*p.ref)), 0.0) << "arch_gradient leaves w as it was";
}

TEST_P(MpiDarts, BilevelStepsOnShardsFollowOneProcessOnTheWholeBatch) {
  const int64_t order = GetParam();
  Pair p = make_pair_of_nets(5);
  p.ref->eval();
  p.dp->eval();
  nas::BilevelOptimizer ref(*p.ref, options(order));
  nas::DartsSearchOptions o = options(order);
  dist::set_darts_data_parallel(o);
  std::vector<int64_t> rows_seen;  // the rows of every reduction, in call order
  auto reduce = o.reduce_gradients;
  o.reduce_gradients = [&](std::vector<Tensor>& grads, int64_t rows) {
    rows_seen.push_back(rows);
    reduce(grads, rows);
  };
  nas::BilevelOptimizer dp(*p.dp, o);
  ASSERT_EQ(max_abs_diff(all_of(*p.dp), all_of(*p.ref)), 0.0);
  const std::vector<Tensor> alphas0 = {raw::clone(p.ref->arch_parameters()[0])};
  constexpr int kSteps = 4;
  for (int step = 0; step < kSteps; ++step) {
    const data::Batch train = whole(*images(10, 10 + uint64_t(step))), val = whole(*images(9, 20 + uint64_t(step)));
    ref.step(train, val);
    dp.step(dist::shard(train), dist::shard(val));
    EXPECT_TRUE(dist::same_on_all_ranks(all_of(*p.dp))) << "after step " << step;
  }
  EXPECT_GT(max_abs_diff({p.ref->arch_parameters()[0]}, alphas0), 0.05) << "α moved";
  EXPECT_LT(max_abs_diff(p.dp->weight_parameters(), p.ref->weight_parameters()), 2e-5);
  EXPECT_LT(max_abs_diff(p.dp->arch_parameters(), p.ref->arch_parameters()), 2e-4);

  // Every gradient that feeds an update went through the reduction, with its rows.
  const int64_t tr = dist::shard_rows(10, dist::rank(), 3).second - dist::shard_rows(10, dist::rank(), 3).first;
  const int64_t va = 3;
  std::vector<int64_t> per_step = order == 1 ? std::vector<int64_t>{va, tr}               // α, w
                                             : std::vector<int64_t>{tr, va, tr, tr};  // w', (α, v), Hv, w
  std::vector<int64_t> expected;
  for (int s = 0; s < kSteps; ++s) expected.insert(expected.end(), per_step.begin(), per_step.end());
  EXPECT_EQ(rows_seen, expected);
}

TEST_P(MpiDarts, SearchEpochsOnShardsFollowOneProcessAndRanksAgreeAfterEachEpoch) {
  const int64_t order = GetParam();
  Pair p = make_pair_of_nets(6);
  nas::DartsSearchOptions o = options(order);
  o.epochs = 2;
  o.arch_lr = 3e-3;  // Adam's first steps are about lr * sign(g): larger ones amplify rounding in tiny gradients
  o.batch_size = 10;  // shards of 3/3/4 rows
  auto train = images(30, 1, true), val = images(30, 2, true);
  const std::vector<Tensor> alphas0 = {raw::clone(p.ref->arch_parameters()[0])};
  nas::DartsSearch ref(p.ref, o, {train, val, {}});
  dist::set_darts_data_parallel(o);
  nas::DartsSearch dp(p.dp, o, {train, val, {}});
  for (int64_t epoch = 1; epoch <= 2; ++epoch) {
    const nas::DartsEpoch a = ref.run_epoch(), b = dp.run_epoch();
    ASSERT_TRUE(dist::same_on_all_ranks(all_of(*p.dp))) << "after epoch " << epoch;
    EXPECT_EQ(b.steps, 3);
    // The epoch's statistics are over every rank's rows, as the whole batch's.
    EXPECT_NEAR(a.train_loss, b.train_loss, 1e-5);
    EXPECT_NEAR(a.val_loss, b.val_loss, 1e-5);
    EXPECT_DOUBLE_EQ(a.train_accuracy, b.train_accuracy);
    EXPECT_DOUBLE_EQ(a.val_accuracy, b.val_accuracy);
  }
  EXPECT_GT(max_abs_diff({p.ref->arch_parameters()[0]}, alphas0), 5e-3) << "α moved";
  // Shards sum their images in another order than the whole batch; second order's
  // finite-difference Hessian-vector product divides gradient differences by 2*eps,
  // which amplifies that rounding (2.8e-5 after two epochs with the direct conv
  // weight-gradient kernel's summation order).
  EXPECT_LT(max_abs_diff(p.dp->weight_parameters(), p.ref->weight_parameters()), order == 2 ? 6e-5 : 2e-5);
  EXPECT_LT(max_abs_diff(p.dp->arch_parameters(), p.ref->arch_parameters()), 2e-5);
  EXPECT_EQ(nas::to_string(p.dp->derive()), nas::to_string(p.ref->derive()));
}

INSTANTIATE_TEST_SUITE_P(Order, MpiDarts, testing::Values(int64_t{1}, int64_t{2}),
                         [](const testing::TestParamInfo<int64_t>& i) { return i.param == 1 ? "First" : "Second"; });

NF_MPI_TEST_MAIN
