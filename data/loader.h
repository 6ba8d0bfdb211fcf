// DataLoader: seeded shuffling, batching into contiguous tensors, optional
// per-batch transforms, and background prefetch.
//
//   DataLoader loader(train, {.batch_size = 128, .seed = 1});
//   for (int e = 0; e < epochs; ++e)
//     for (auto& [x, y] : loader) { ... }   // x [B,C,H,W] f32, y [B] i64
//
// Reproducibility: epoch e visits the examples in order(e), a permutation that
// depends only on (seed, e); batch b of epoch e is transformed with a
// generator seeded from (seed, e, b). So a run is the same whether batches are
// prefetched or not, and a resumed run continues with set_epoch(e).
//
// Prefetch: with prefetch > 0 a std::thread prepares up to `prefetch` batches
// ahead into a bounded queue. An exception thrown while preparing a batch is
// rethrown to the consumer when it reaches that batch. Destroying the loader,
// or starting another iteration, stops and joins the worker. The dataset's
// get()/get_batch() run on that thread, so they must not touch thread-unsafe
// shared state (the in-memory datasets only read).
#pragma once
#include <cstdint>
#include <iterator>
#include <memory>
#include <vector>

#include "data/dataset.h"
#include "data/transforms.h"

namespace nf::data {

struct LoaderOptions {
  int64_t batch_size = 64;
  bool shuffle = true;
  bool drop_last = false;  // drop the last batch when it is smaller than batch_size
  uint64_t seed = 0;
  int64_t prefetch = 2;  // batches prepared ahead on a background thread; 0: on the caller's thread
  Transform transform{};  // applied to each batch's images [B,C,H,W] (empty: none)
};

class DataLoader {
  struct Run;  // one pass over an epoch, with its worker thread

 public:
  DataLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions opts = {});
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t size() const;  // batches per epoch
  const Dataset& dataset() const { return *dataset_; }
  const LoaderOptions& options() const { return opts_; }

  // The epoch the next iteration runs; every begin() uses it and then advances it by one.
  int64_t epoch() const { return epoch_; }
  void set_epoch(int64_t epoch);

  // The dataset indices of an epoch in visiting order (0..n-1 when not shuffling).
  std::vector<int64_t> order(int64_t epoch) const;
  // Batch b of an epoch, made on the caller's thread: what iteration yields.
  Batch batch(int64_t epoch, int64_t b) const;

  class Iterator {
   public:
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    Batch& operator*() { return current_; }
    Batch* operator->() { return &current_; }
    Iterator& operator++();
    bool operator==(std::default_sentinel_t) const { return done_; }

   private:
    friend class DataLoader;
    explicit Iterator(Run* run) : run_(run) { ++*this; }
    Run* run_;
    Batch current_;
    bool done_ = false;
  };

  // Starts a pass over epoch(); its Iterator is valid until the next begin()
  // or the loader's destruction.
  Iterator begin();
  std::default_sentinel_t end() const { return {}; }

 private:
  Batch make_batch(const std::vector<int64_t>& order, int64_t epoch, int64_t b) const;

  std::shared_ptr<const Dataset> dataset_;
  LoaderOptions opts_;
  int64_t epoch_ = 0;
  std::unique_ptr<Run> run_;
};

}  // namespace nf::data
