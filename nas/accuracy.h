// Evaluation of a classifier on a data set, shared by every NAS trial
// (nas/evaluator.h) and `nasforge train` / `eval`. Kept out of nn/ because it
// needs data/ (nn and data meet in nas/ and above).
#pragma once
#include <cstdint>
#include <memory>

#include "data/dataset.h"
#include "data/transforms.h"
#include "nn/module.h"
#include "tensor/tensor.h"

namespace nf::nas {

struct EvalResult {
  double loss = 0;      // mean cross-entropy
  double accuracy = 0;  // fraction correct
  int64_t count = 0;    // examples seen
};

// Evaluates `net` in eval mode without recording a graph (restores its mode after).
EvalResult evaluate(nn::Module& net, std::shared_ptr<const data::Dataset> set, const data::Transform& transform,
                    int64_t batch_size);

// Number of rows of logits [N, classes] whose argmax equals labels [N].
int64_t count_correct(const Tensor& logits, const Tensor& labels);

}  // namespace nf::nas
