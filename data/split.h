// Deterministic train/validation splits of a training set (by seed and
// fraction). Only the training set is ever split: the test set stays untouched
// for the final evaluation.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "data/dataset.h"

namespace nf::data {

// A uniformly random permutation of 0..n-1 (Fisher-Yates), a function of (n, seed) only.
std::vector<int64_t> random_permutation(int64_t n, uint64_t seed);

struct SplitIndices {
  std::vector<int64_t> train, val;  // disjoint, together 0..n-1, each sorted
};
// round(n * val_fraction) indices picked at random for validation, the rest for training.
SplitIndices split_indices(int64_t n, double val_fraction, uint64_t seed);

struct TrainValSplit {
  std::shared_ptr<SubsetDataset> train, val;
};
TrainValSplit train_val_split(std::shared_ptr<const Dataset> train_set, double val_fraction,
                              uint64_t seed);

}  // namespace nf::data
