#include "dist/data_parallel.h"

#include <mpi.h>

#include "autograd/engine.h"
#include "dist/collectives.h"
#include "dist/comm.h"
#include "dist/poll.h"
#include "tensor/error.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace nf::dist {

std::pair<int64_t, int64_t> shard_rows(int64_t rows, int rank, int size) {
  NF_CHECK(rows >= 0 && size >= 1 && rank >= 0 && rank < size, "dist::shard_rows: bad arguments rows=", rows,
           " rank=", rank, " size=", size);
  return {rows * rank / size, rows * (rank + 1) / size};
}

data::Batch shard(const data::Batch& batch) {
  const auto [first, last] = shard_rows(batch.labels.size(0), rank(), size());
  return {raw::contiguous(raw::narrow(batch.images, 0, first, last - first)),
          raw::contiguous(raw::narrow(batch.labels, 0, first, last - first))};
}

void average_gradients(const std::vector<Tensor>& params, int64_t rows) {
  NF_CHECK(rows >= 0, "dist::average_gradients: rows ", rows, " < 0");
  // Which parameters have a gradient on any rank (a max over ranks).
  std::vector<int> has(params.size());
  for (size_t i = 0; i < params.size(); ++i) has[i] = params[i].grad().defined() ? 1 : 0;
  MPI_Request request;
  detail::check(MPI_Iallreduce(MPI_IN_PLACE, has.data(), int(has.size()), MPI_INT, MPI_MAX, MPI_COMM_WORLD, &request),
                "MPI_Iallreduce");
  detail::wait_for(request, "MPI_Iallreduce");
  std::vector<Tensor> grads;
  for (size_t i = 0; i < params.size(); ++i) {
    if (!has[i]) continue;
    if (!params[i].grad().defined()) autograd::backward({params[i]}, {zeros_like(params[i])});
    grads.push_back(params[i].grad());
  }
  allreduce_mean_(grads, double(rows));
}

void broadcast_module(nn::Module& module, int root) {
  std::vector<Tensor> state = module.parameters();
  for (const Tensor& b : module.buffers())
    if (b.dtype() == DType::f32 || b.dtype() == DType::f64) state.push_back(b);
  broadcast_(state, root);
}

void set_darts_data_parallel(nas::DartsSearchOptions& options) {
  options.shard_batch = [](const data::Batch& b) { return shard(b); };
  options.reduce_gradients = [](std::vector<Tensor>& grads, int64_t rows) { allreduce_mean_(grads, double(rows)); };
  options.sum_over_ranks = [](std::vector<double>& values) { allreduce_sum_(values); };
}

}  // namespace nf::dist
