// DataLoader and splits: every index once per epoch, seeded and
// epoch-dependent orders, drop_last, batch contents, prefetch equivalence,
// worker exceptions, early exit; deterministic disjoint train/val splits.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <numeric>
#include <set>
#include <thread>

#include "data/data.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "test_data_util.h"

using namespace nf;
using namespace nf::data;
using nf::data::testing::error_of;

namespace {

// n f32 images [2,2,2] whose every pixel equals the example index; label = index % 3.
std::shared_ptr<TensorDataset> indexed_dataset(int64_t n) {
  std::vector<float> px;
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < n; ++i) {
    px.insert(px.end(), 8, float(i));
    labels.push_back(i % 3);
  }
  return std::make_shared<TensorDataset>(from_vector(px, {n, 2, 2, 2}), from_vector(labels, {n}),
                                         3);
}

// The example index of each image in a batch of indexed_dataset (read from its pixel).
std::vector<int64_t> ids(const Batch& b) {
  std::vector<float> v = b.images.to_vector<float>();
  std::vector<int64_t> out;
  for (size_t i = 0; i < v.size(); i += 8) out.push_back(int64_t(v[i]));
  return out;
}

std::vector<int64_t> one_epoch(DataLoader& loader, std::vector<int64_t>* batch_sizes = nullptr) {
  std::vector<int64_t> seen;
  for (auto& [x, y] : loader) {
    EXPECT_TRUE(x.is_contiguous() && y.is_contiguous());
    EXPECT_EQ(x.dtype(), DType::f32);
    EXPECT_EQ(y.dtype(), DType::i64);
    std::vector<int64_t> got = ids({x, y});
    std::vector<int64_t> labels = y.to_vector<int64_t>();
    for (size_t k = 0; k < got.size(); ++k) EXPECT_EQ(labels[k], got[k] % 3);
    if (batch_sizes) batch_sizes->push_back(x.size(0));
    seen.insert(seen.end(), got.begin(), got.end());
  }
  return seen;
}

// A dataset whose get() throws for one index (and can be slowed down).
class FaultyDataset : public Dataset {
 public:
  FaultyDataset(int64_t n, int64_t bad, int sleep_ms = 0) : n_(n), bad_(bad), sleep_ms_(sleep_ms) {}
  int64_t size() const override { return n_; }
  int64_t num_classes() const override { return 2; }
  Example get(int64_t i) const override {
    if (sleep_ms_) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
    ++calls;
    NF_CHECK(i != bad_, "faulty: cannot read example ", i);
    return {full({1, 2, 2}, double(i)), i % 2};
  }
  mutable std::atomic<int64_t> calls{0};

 private:
  int64_t n_, bad_;
  int sleep_ms_;
};

}  // namespace

TEST(DataLoader, EveryIndexOncePerEpochWithAndWithoutPrefetch) {
  auto ds = indexed_dataset(10);
  for (int64_t prefetch : {0, 1, 3}) {
    DataLoader loader(ds, {.batch_size = 3, .seed = 5, .prefetch = prefetch});
    EXPECT_EQ(loader.size(), 4);
    for (int epoch = 0; epoch < 3; ++epoch) {
      std::vector<int64_t> sizes;
      std::vector<int64_t> seen = one_epoch(loader, &sizes);
      EXPECT_EQ(sizes, (std::vector<int64_t>{3, 3, 3, 1}));
      EXPECT_EQ(seen, loader.order(epoch)) << "prefetch " << prefetch << " epoch " << epoch;
      std::sort(seen.begin(), seen.end());
      std::vector<int64_t> all(10);
      std::iota(all.begin(), all.end(), 0);
      EXPECT_EQ(seen, all);
    }
    EXPECT_EQ(loader.epoch(), 3);
  }
}

TEST(DataLoader, OrdersDependOnSeedAndEpochOnly) {
  auto ds = indexed_dataset(50);
  DataLoader a(ds, {.seed = 1}), b(ds, {.seed = 1}), c(ds, {.seed = 2});
  EXPECT_EQ(a.order(0), b.order(0));
  EXPECT_EQ(a.order(7), b.order(7));
  EXPECT_NE(a.order(0), a.order(1));
  EXPECT_NE(a.order(0), c.order(0));
  // Iterating epoch 0 and 1, or jumping to epoch 1, visits the same order.
  DataLoader d(ds, {.batch_size = 8, .seed = 1});
  one_epoch(d);
  std::vector<int64_t> second = one_epoch(d);
  DataLoader e(ds, {.batch_size = 8, .seed = 1});
  e.set_epoch(1);
  EXPECT_EQ(one_epoch(e), second);
  EXPECT_EQ(second, a.order(1));

  DataLoader plain(ds, {.shuffle = false});
  std::vector<int64_t> identity(50);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(plain.order(3), identity);
}

TEST(DataLoader, DropLast) {
  auto ds = indexed_dataset(10);
  DataLoader loader(ds, {.batch_size = 4, .drop_last = true, .seed = 9});
  EXPECT_EQ(loader.size(), 2);
  std::vector<int64_t> sizes;
  std::vector<int64_t> seen = one_epoch(loader, &sizes);
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4}));
  std::vector<int64_t> order = loader.order(0);
  EXPECT_EQ(seen, std::vector<int64_t>(order.begin(), order.begin() + 8));
  DataLoader exact(indexed_dataset(8), {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(exact.size(), 2);
  DataLoader tiny(indexed_dataset(3), {.batch_size = 4, .drop_last = true});
  EXPECT_EQ(tiny.size(), 0);
  EXPECT_TRUE(one_epoch(tiny).empty());
}

TEST(DataLoader, BatchContentsMatchTheDataset) {
  // u8 images: batches hold x / 255 as f32, in the loader's order.
  std::vector<uint8_t> px(6 * 3 * 2 * 2);
  for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t(i * 3);
  auto ds = std::make_shared<TensorDataset>(
      from_vector(px, {6, 3, 2, 2}), from_vector(std::vector<int64_t>{5, 4, 3, 2, 1, 0}, {6}), 6);
  DataLoader loader(ds, {.batch_size = 4, .seed = 3});
  std::vector<int64_t> order = loader.order(0);
  int64_t b = 0;
  for (auto& [x, y] : loader) {
    EXPECT_EQ(x.shape(), (Shape{b == 0 ? 4 : 2, 3, 2, 2}));
    for (int64_t k = 0; k < x.size(0); ++k) {
      Example ex = ds->get(order[size_t(b * 4 + k)]);
      EXPECT_EQ(raw::select(x, 0, k).to_vector<float>(), ex.image.to_vector<float>());
      EXPECT_EQ(int64_t(y.at({k})), ex.label);
    }
    ++b;
  }
  EXPECT_EQ(b, 2);
  EXPECT_FLOAT_EQ(float(ds->get(1).image.at({0, 0, 1})), 39.0f / 255.0f);
  // batch(epoch, b) is what iteration yields.
  EXPECT_EQ(loader.batch(0, 1).images.to_vector<float>(),
            ds->get_batch({order[4], order[5]}).images.to_vector<float>());
}

TEST(DataLoader, TransformIsSeededPerBatchAndSameWithPrefetch) {
  auto ds = indexed_dataset(20);
  Transform aug = transforms::Compose({transforms::RandomCrop(2, 1), transforms::Cutout(1)});
  auto run = [&](int64_t prefetch) {
    DataLoader loader(ds, {.batch_size = 6, .seed = 4, .prefetch = prefetch, .transform = aug});
    std::vector<float> all;
    for (int e = 0; e < 2; ++e)
      for (auto& [x, y] : loader) {
        std::vector<float> v = x.to_vector<float>();
        all.insert(all.end(), v.begin(), v.end());
      }
    return all;
  };
  std::vector<float> sync = run(0);
  EXPECT_EQ(sync, run(2));
  std::vector<float> untouched;
  DataLoader plain(ds, {.batch_size = 6, .seed = 4});
  for (int e = 0; e < 2; ++e)
    for (auto& [x, y] : plain) {
      std::vector<float> v = x.to_vector<float>();
      untouched.insert(untouched.end(), v.begin(), v.end());
    }
  EXPECT_NE(sync, untouched);
}

TEST(DataLoader, WorkerExceptionReachesTheConsumer) {
  for (int64_t prefetch : {0, 2}) {
    auto ds = std::make_shared<FaultyDataset>(10, 7);
    DataLoader loader(ds, {.batch_size = 2, .shuffle = false, .prefetch = prefetch});
    int batches = 0;
    std::string msg = error_of([&] {
      for (auto& batch : loader) {
        (void)batch;
        ++batches;
      }
    });
    EXPECT_EQ(msg, "faulty: cannot read example 7") << "prefetch " << prefetch;
    EXPECT_EQ(batches, 3);  // batches 0..2 arrive, batch 3 (examples 6, 7) fails
    // The next epoch starts afresh.
    EXPECT_NE(error_of([&] {
                for (auto& batch : loader) (void)batch;
              }),
              "<no error>");
  }
}

TEST(DataLoader, EarlyExitAndDestructionStopTheWorker) {
  auto ds = std::make_shared<FaultyDataset>(400, -1, 1);
  {
    DataLoader loader(ds, {.batch_size = 4, .prefetch = 2});
    for (auto& batch : loader) {
      (void)batch;
      break;
    }
    // A second pass restarts cleanly while the first worker may still be waiting.
    int n = 0;
    for (auto& batch : loader) {
      (void)batch;
      if (++n == 2) break;
    }
  }  // destructor joins the worker
  // Bounded queue: beyond the batches consumed (1, then 2), a pass makes at
  // most `prefetch` queued batches plus one that waits for room, 4 examples each.
  EXPECT_LE(ds->calls.load(), 4 * ((1 + 2 + 1) + (2 + 2 + 1)));
}

TEST(DataLoader, DefaultGetBatchChecksShapes) {
  class Mixed : public Dataset {
   public:
    int64_t size() const override { return 2; }
    int64_t num_classes() const override { return 1; }
    Example get(int64_t i) const override { return {zeros({1, 2, i == 0 ? 2 : 3}), 0}; }
  };
  Mixed ds;
  EXPECT_EQ(error_of([&] {
              ds.get_batch({0, 1});
            }),
            "dataset: example 1 has shape [1,2,3] but example 0 has [1,2,2]; a batch needs one "
            "image size");
  EXPECT_EQ(ds.get_batch({1, 1}).images.shape(), (Shape{2, 1, 2, 3}));
}

TEST(DataLoader, BadOptions) {
  auto ds = indexed_dataset(4);
  EXPECT_EQ(error_of([&] { DataLoader(ds, {.batch_size = 0}); }),
            "DataLoader: batch_size must be positive, got 0");
  EXPECT_EQ(error_of([&] { DataLoader(nullptr); }), "DataLoader: null dataset");
  EXPECT_EQ(error_of([&] { ds->get(4); }), "TensorDataset: index 4 out of range for 4 examples");
}

TEST(Split, DisjointCompleteDeterministic) {
  SplitIndices s = split_indices(100, 0.2, 42);
  EXPECT_EQ(s.val.size(), 20u);
  EXPECT_EQ(s.train.size(), 80u);
  std::set<int64_t> all(s.train.begin(), s.train.end());
  for (int64_t v : s.val) EXPECT_TRUE(all.insert(v).second) << v << " in both";
  EXPECT_EQ(all.size(), 100u);
  EXPECT_TRUE(std::is_sorted(s.train.begin(), s.train.end()));
  SplitIndices again = split_indices(100, 0.2, 42), other = split_indices(100, 0.2, 43);
  EXPECT_EQ(s.val, again.val);
  EXPECT_EQ(s.train, again.train);
  EXPECT_NE(s.val, other.val);
  EXPECT_TRUE(split_indices(10, 0.0, 1).val.empty());
  EXPECT_EQ(error_of([] { split_indices(10, 1.0, 1); }),
            "split: validation fraction must be in [0, 1), got 1");
  EXPECT_EQ(error_of([] { split_indices(1, 0.6, 1); }),
            "split: a validation fraction of 0.6 of 1 examples leaves no training examples");
}

TEST(Split, SubsetDatasetsViewTheBase) {
  auto ds = indexed_dataset(30);
  TrainValSplit s = train_val_split(ds, 0.1, 7);
  ASSERT_EQ(s.val->size(), 3);
  EXPECT_EQ(s.train->size(), 27);
  EXPECT_EQ(s.train->num_classes(), 3);
  SplitIndices idx = split_indices(30, 0.1, 7);
  EXPECT_EQ(s.val->indices(), idx.val);
  for (int64_t k = 0; k < 3; ++k) {
    Example ex = s.val->get(k);
    EXPECT_EQ(ex.image.at({0, 0, 0}), double(idx.val[size_t(k)]));
    EXPECT_EQ(ex.label, idx.val[size_t(k)] % 3);
  }
  // A loader over the training subset visits exactly its examples.
  DataLoader loader(s.train, {.batch_size = 5, .seed = 1});
  std::vector<int64_t> seen = one_epoch(loader);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, idx.train);
}
