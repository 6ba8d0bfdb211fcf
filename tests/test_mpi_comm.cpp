// dist/comm.h and dist/collectives.h on 3 ranks (mpirun -np 3): JSON messages,
// weighted in-place allreduce and broadcast of f32/f64 tensors (contiguous
// and strided views), fingerprints, and errors that every rank sees alike.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

#include "dist/collectives.h"
#include "dist/comm.h"
#include "dist/data_parallel.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tests/test_mpi_main.h"

using namespace nf;
using json = nlohmann::json;

namespace {

int R() { return dist::rank(); }
int N() { return dist::size(); }

}  // namespace

TEST(MpiComm, RunsOnSeveralRanks) {
  EXPECT_GE(N(), 2) << "run under mpirun -np 3";
  EXPECT_TRUE(dist::launched());
  EXPECT_EQ(dist::is_root(), R() == 0);
}

TEST(MpiComm, JsonMessagesTravelAroundARing) {
  const int next = (R() + 1) % N(), prev = (R() + N() - 1) % N();
  EXPECT_FALSE(dist::try_recv_json(prev, 7).has_value());  // nothing sent yet
  dist::barrier();
  dist::send_json({{"from", R()}, {"text", std::string(10000, 'x')}}, next, 7);  // larger than an eager message
  const dist::Message m = dist::recv_json(dist::kAnySource, 7);
  EXPECT_EQ(m.source, prev);
  EXPECT_EQ(m.tag, 7);
  EXPECT_EQ(m.body["from"].get<int>(), prev);
  EXPECT_EQ(m.body["text"].get<std::string>().size(), 10000u);
  dist::barrier();
}

TEST(MpiComm, AllreduceMeanIsWeightedAndWritesBackIntoViews) {
  // Rank r holds f32 [r+1, 2(r+1), 3(r+1)], f64 [[r, -r], [10r, 1]] and is weighted by r+1.
  Tensor a = from_vector(std::vector<float>{float(R() + 1), float(2 * (R() + 1)), float(3 * (R() + 1))}, {3});
  Tensor b = from_vector(std::vector<double>{double(R()), double(-R()), double(10 * R()), 1.0}, {2, 2});
  Tensor bt = raw::transpose(b, 0, 1);  // a strided view: staged and copied back
  dist::allreduce_mean_({a, bt}, double(R() + 1));
  double w = 0, wx = 0, wr = 0;
  for (int r = 0; r < N(); ++r) {
    w += r + 1;
    wx += double(r + 1) * (r + 1);
    wr += double(r + 1) * r;
  }
  const auto av = a.to_vector<double>();
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(av[size_t(i)], (i + 1) * wx / w, 1e-5);
  const auto bv = b.to_vector<double>();  // b through its transposed view: same elements
  EXPECT_DOUBLE_EQ(bv[0], wr / w);
  EXPECT_DOUBLE_EQ(bv[1], -wr / w);
  EXPECT_DOUBLE_EQ(bv[2], 10 * wr / w);
  EXPECT_DOUBLE_EQ(bv[3], 1.0);
  EXPECT_TRUE(dist::same_on_all_ranks({a, b}));
}

TEST(MpiComm, AllreduceSumAddsCounters) {
  std::vector<double> v = {1.0, double(R())};
  dist::allreduce_sum_(v);
  EXPECT_EQ(v[0], double(N()));
  EXPECT_EQ(v[1], double(N() * (N() - 1) / 2));
}

TEST(MpiComm, BroadcastCopiesRootsValuesAndFingerprintsSeeTheDifference) {
  Tensor a = full({4}, double(R() + 5));
  Tensor b = from_vector(std::vector<double>{double(R()), 2.0 * R(), 3.0 * R(), 4.0 * R()}, {2, 2});
  EXPECT_FALSE(dist::same_on_all_ranks({a, b}));
  const int root = N() - 1;
  dist::broadcast_({a, raw::transpose(b, 0, 1)}, root);
  EXPECT_EQ(a.to_vector<double>(), std::vector<double>(4, double(root + 5)));
  EXPECT_EQ(b.to_vector<double>(), (std::vector<double>{double(root), 2.0 * root, 3.0 * root, 4.0 * root}));
  EXPECT_TRUE(dist::same_on_all_ranks({a, b}));
}

TEST(MpiComm, MismatchedListsAndDtypesAreErrorsOnEveryRank) {
  // Rank 0 passes one element more: every rank learns it from the count check.
  Tensor t = zeros({R() == 0 ? 3 : 2});
  EXPECT_THROW(dist::allreduce_mean_({t}), Error);
  Tensor ints = zeros({2}, {DType::i64});
  EXPECT_THROW(dist::allreduce_mean_({ints}), Error);
  EXPECT_THROW(dist::broadcast_({ints}), Error);
  // Every rank weighted 0: no mean exists.
  Tensor f = zeros({2});
  EXPECT_THROW(dist::allreduce_mean_({f}, 0.0), Error);
  // And the ranks still agree afterwards.
  Tensor ok = full({2}, 1.0);
  dist::allreduce_mean_({ok});
  EXPECT_EQ(ok.to_vector<double>(), (std::vector<double>{1.0, 1.0}));
}

TEST(MpiComm, ShardsCoverABatchInRankOrder) {
  for (int64_t rows : {0, 1, 2, 3, 10, 128, 129}) {
    for (int size : {1, 2, 3, 5}) {
      int64_t next = 0;
      for (int r = 0; r < size; ++r) {
        const auto [first, last] = dist::shard_rows(rows, r, size);
        EXPECT_EQ(first, next) << rows << " rows, rank " << r << " of " << size;
        EXPECT_GE(last - first, rows / size);
        EXPECT_LE(last - first, rows / size + 1);
        next = last;
      }
      EXPECT_EQ(next, rows);
    }
  }
  EXPECT_THROW(dist::shard_rows(4, 3, 3), Error);
}

NF_MPI_TEST_MAIN
