#include "data/split.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "data/seed.h"
#include "tensor/random.h"

namespace nf::data {

namespace {
constexpr uint64_t kSplitStream =
    0x5EED5B11u;  // keeps split draws apart from shuffles of the same seed
}

std::vector<int64_t> random_permutation(int64_t n, uint64_t seed) {
  NF_CHECK(n >= 0, "random_permutation: negative size ", n);
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), int64_t(0));
  Generator gen(seed);
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[size_t(i)], p[size_t(gen.randint(i + 1))]);
  return p;
}

SplitIndices split_indices(int64_t n, double val_fraction, uint64_t seed) {
  NF_CHECK(val_fraction >= 0.0 && val_fraction < 1.0,
           "split: validation fraction must be in [0, 1), got ", val_fraction);
  const int64_t n_val = std::llround(double(n) * val_fraction);
  NF_CHECK(n - n_val > 0, "split: a validation fraction of ", val_fraction, " of ", n,
           " examples leaves no training examples");
  std::vector<int64_t> p = random_permutation(n, mix_seed(seed, kSplitStream));
  SplitIndices out;
  out.val.assign(p.begin(), p.begin() + n_val);
  out.train.assign(p.begin() + n_val, p.end());
  std::sort(out.val.begin(), out.val.end());
  std::sort(out.train.begin(), out.train.end());
  return out;
}

TrainValSplit train_val_split(std::shared_ptr<const Dataset> train_set, double val_fraction,
                              uint64_t seed) {
  NF_CHECK(train_set != nullptr, "split: null dataset");
  SplitIndices idx = split_indices(train_set->size(), val_fraction, seed);
  return {std::make_shared<SubsetDataset>(train_set, std::move(idx.train)),
          std::make_shared<SubsetDataset>(train_set, std::move(idx.val))};
}

}  // namespace nf::data
