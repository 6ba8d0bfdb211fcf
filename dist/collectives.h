// Collective operations on tensors over all ranks, in place. Every rank passes
// the same list: same count, shapes and dtypes, in the same order (a mismatch
// is an error where it can be seen: the total element count).
//
// dtypes f32 and f64. CPU tensors are read and written directly when
// contiguous; device (CUDA) tensors and non-contiguous views are staged through
// a contiguous host copy and copied back. The whole list travels as one
// message, so a model's gradients cost one collective, not one per tensor.
#pragma once
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace nf::dist {

// t <- sum_r w_r * t_r / sum_r w_r for every tensor, with w_r = `weight` of
// rank r (>= 0; the total must be > 0). Sums are taken in f64. With equal
// weights this is the plain mean; with w_r = rows of rank r's shard it turns
// per-shard means into the mean over the whole batch.
void allreduce_mean_(const std::vector<Tensor>& tensors, double weight = 1);

// values[i] <- the sum of values[i] over ranks (for counters and loss sums).
void allreduce_sum_(std::vector<double>& values);

// Every rank's tensors <- rank root's.
void broadcast_(const std::vector<Tensor>& tensors, int root = 0);

// A 64-bit fingerprint of the tensors' values (FNV-1a over their bytes).
uint64_t fingerprint(const std::vector<Tensor>& tensors);
// True on every rank when every rank holds bit-identical tensors (compares fingerprints).
bool same_on_all_ranks(const std::vector<Tensor>& tensors);

}  // namespace nf::dist
