// Data-parallel training over MPI ranks. Every rank runs the same loop over
// the same batches (same loader seed) and trains on its own rows of each one:
//
//   dist::broadcast_module(*net);                       // rank 0's initial weights everywhere
//   for (auto& batch : loader) {
//     data::Batch mine = dist::shard(batch);            // rows [begin, end) of this rank
//     opt.zero_grad();
//     if (mine.labels.size(0) > 0) cross_entropy(net->forward(mine.images), mine.labels).backward();
//     dist::average_gradients(net->parameters(), mine.labels.size(0));
//     opt.step();                                        // the same step on every rank
//   }
//
// Each rank's loss is the mean over its rows, so weighting the ranks'
// gradients by their row counts gives the gradient of the mean loss over the
// whole batch: N ranks with batch B equal one process with batch B (up to
// float rounding), also when B is not a multiple of N. Exceptions: BatchNorm
// normalises with per-rank batch statistics and keeps per-rank running
// statistics (rank 0's are the ones saved), and dropout masks differ by rank.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "data/dataset.h"
#include "nas/darts_search.h"
#include "nn/module.h"
#include "tensor/tensor.h"

namespace nf::dist {

// Rows [first, second) of a batch of `rows` rows that rank `rank` of `size`
// takes: contiguous, in rank order, sizes differing by at most one (a rank
// gets no rows when rows < size).
std::pair<int64_t, int64_t> shard_rows(int64_t rows, int rank, int size);
// This rank's rows of a batch (contiguous copies of images and labels).
data::Batch shard(const data::Batch& batch);

// After backward on this rank's `rows` rows: every parameter's gradient
// becomes the row-weighted mean over ranks (a parameter without a gradient
// counts as zeros on that rank; one without a gradient on every rank keeps
// none). One collective for all parameters.
void average_gradients(const std::vector<Tensor>& params, int64_t rows);

// Rank root's parameters and buffers, copied to every rank.
void broadcast_module(nn::Module& module, int root = 0);

// The DARTS hooks (nas::DartsSearchOptions::shard_batch / reduce_gradients /
// sum_over_ranks) for this rank: shard(), a row-weighted allreduce_mean_ and
// allreduce_sum_.
void set_darts_data_parallel(nas::DartsSearchOptions& options);

}  // namespace nf::dist
