#include "data/loader.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

#include "data/seed.h"
#include "data/split.h"
#include "tensor/ops.h"

namespace nf::data {

// One pass over an epoch. Without prefetch, next() makes batches itself; with
// it, a worker thread fills a bounded queue in batch order and next() pops.
struct DataLoader::Run {
  struct Item {
    Batch batch;
    std::exception_ptr error;
  };

  const DataLoader& loader;
  const int64_t epoch;
  const std::vector<int64_t> order;
  const int64_t num_batches;
  int64_t consumed = 0;

  std::thread worker;
  std::mutex mutex;
  std::condition_variable changed;  // queue grew, shrank, or stop was set
  std::deque<Item> queue;
  bool stop = false;

  Run(const DataLoader& l, int64_t e)
      : loader(l), epoch(e), order(l.order(e)), num_batches(l.size()) {
    if (l.opts_.prefetch > 0 && num_batches > 0) worker = std::thread([this] { produce(); });
  }

  ~Run() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
    }
    changed.notify_all();
    if (worker.joinable()) worker.join();
  }

  void produce() {
    const size_t capacity = size_t(loader.opts_.prefetch);
    for (int64_t b = 0; b < num_batches; ++b) {
      Item item;
      try {
        item.batch = loader.make_batch(order, epoch, b);
      } catch (...) {
        item.error = std::current_exception();
      }
      const bool failed = item.error != nullptr;
      {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [&] { return stop || queue.size() < capacity; });
        if (stop) return;
        queue.push_back(std::move(item));
      }
      changed.notify_all();
      if (failed) return;  // the consumer rethrows it and ends the epoch
    }
  }

  // The next batch into `out`; false at the end of the epoch.
  bool next(Batch& out) {
    if (consumed >= num_batches) return false;
    if (!worker.joinable()) {
      out = loader.make_batch(order, epoch, consumed++);
      return true;
    }
    Item item;
    {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait(lock, [&] { return !queue.empty(); });
      item = std::move(queue.front());
      queue.pop_front();
    }
    changed.notify_all();
    ++consumed;
    if (item.error) {
      consumed = num_batches;
      std::rethrow_exception(item.error);
    }
    out = std::move(item.batch);
    return true;
  }
};

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, LoaderOptions opts)
    : dataset_(std::move(dataset)), opts_(std::move(opts)) {
  NF_CHECK(dataset_ != nullptr, "DataLoader: null dataset");
  NF_CHECK(opts_.batch_size > 0, "DataLoader: batch_size must be positive, got ", opts_.batch_size);
  NF_CHECK(opts_.prefetch >= 0, "DataLoader: prefetch must be non-negative, got ", opts_.prefetch);
}

DataLoader::~DataLoader() = default;

int64_t DataLoader::size() const {
  const int64_t n = dataset_->size(), bs = opts_.batch_size;
  return opts_.drop_last ? n / bs : (n + bs - 1) / bs;
}

void DataLoader::set_epoch(int64_t epoch) {
  NF_CHECK(epoch >= 0, "DataLoader: epoch must be non-negative, got ", epoch);
  epoch_ = epoch;
}

std::vector<int64_t> DataLoader::order(int64_t epoch) const {
  const int64_t n = dataset_->size();
  if (opts_.shuffle) return random_permutation(n, mix_seed(opts_.seed, uint64_t(2 * epoch)));
  std::vector<int64_t> identity(static_cast<size_t>(n));
  std::iota(identity.begin(), identity.end(), int64_t(0));
  return identity;
}

Batch DataLoader::batch(int64_t epoch, int64_t b) const {
  NF_CHECK(b >= 0 && b < size(), "DataLoader: batch ", b, " out of range for ", size(), " batches");
  return make_batch(order(epoch), epoch, b);
}

Batch DataLoader::make_batch(const std::vector<int64_t>& order, int64_t epoch, int64_t b) const {
  const int64_t n = int64_t(order.size()), bs = opts_.batch_size;
  const int64_t lo = b * bs, hi = std::min(n, lo + bs);
  Batch batch = dataset_->get_batch(std::vector<int64_t>(order.begin() + lo, order.begin() + hi));
  if (opts_.transform) {
    Generator gen(mix_seed(mix_seed(opts_.seed, uint64_t(2 * epoch + 1)), uint64_t(b)));
    // Transforms may return views; batches are contiguous by contract.
    batch.images = raw::contiguous(opts_.transform(batch.images, gen));
  }
  return batch;
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  done_ = !run_->next(current_);
  return *this;
}

DataLoader::Iterator DataLoader::begin() {
  run_.reset();  // stops and joins a previous pass still running
  run_ = std::make_unique<Run>(*this, epoch_++);
  return Iterator(run_.get());
}

}  // namespace nf::data
