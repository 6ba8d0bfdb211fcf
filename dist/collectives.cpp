#include "dist/collectives.h"

#include <mpi.h>

#include <cstring>
#include <string>

#include "dist/comm.h"
#include "dist/poll.h"
#include "tensor/error.h"
#include "tensor/ops.h"

namespace nf::dist {

namespace {

// A contiguous host tensor with t's values: t itself when it already is one.
Tensor host_copy(const Tensor& t, const char* op) {
  NF_CHECK(t.defined(), "dist::", op, ": undefined tensor");
  NF_CHECK(t.dtype() == DType::f32 || t.dtype() == DType::f64, "dist::", op, ": dtype ", dtype_name(t.dtype()),
           " (expected f32 or f64)");
  Tensor c = raw::contiguous(t);
  return c.device().is_cpu() ? c : raw::to_device(c, Device::cpu());
}

// Writes host (a host_copy of t, changed) back into t.
void write_back(const Tensor& t, const Tensor& host) {
  if (host.same_data(t)) {
    t.bump_version();
  } else {
    raw::copy_(t, t.device().is_cpu() ? host : raw::to_device(host, t.device()));
  }
}

int64_t total_numel(const std::vector<Tensor>& tensors) {
  int64_t n = 0;
  for (const Tensor& t : tensors) n += t.numel();
  return n;
}

// Checks that every rank passes the same number of elements (a cheap guard
// against lists that differ between ranks, which would corrupt or hang).
void check_same_count(int64_t n, const char* op) {
  int64_t lo = n, hi = n;
  MPI_Request r[2];
  detail::check(MPI_Iallreduce(MPI_IN_PLACE, &lo, 1, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD, &r[0]), "MPI_Iallreduce");
  detail::check(MPI_Iallreduce(MPI_IN_PLACE, &hi, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD, &r[1]), "MPI_Iallreduce");
  detail::wait_for(r[0], "MPI_Iallreduce");
  detail::wait_for(r[1], "MPI_Iallreduce");
  NF_CHECK(lo == hi, "dist::", op, ": ranks pass different tensor lists (", lo, " to ", hi, " elements in all)");
}

}  // namespace

void allreduce_mean_(const std::vector<Tensor>& tensors, double weight) {
  NF_CHECK(weight >= 0, "dist::allreduce_mean_: weight ", weight, " < 0");
  const int64_t n = total_numel(tensors);
  check_same_count(n, "allreduce_mean_");
  // One buffer: the weighted values of every tensor, then the weight.
  std::vector<double> buf(size_t(n) + 1);
  std::vector<Tensor> hosts;
  hosts.reserve(tensors.size());
  size_t at = 0;
  for (const Tensor& t : tensors) {
    hosts.push_back(host_copy(t, "allreduce_mean_"));
    const Tensor& h = hosts.back();
    if (h.dtype() == DType::f32) {
      const float* p = h.data<float>();
      for (int64_t i = 0; i < h.numel(); ++i) buf[at++] = weight * double(p[i]);
    } else {
      const double* p = h.data<double>();
      for (int64_t i = 0; i < h.numel(); ++i) buf[at++] = weight * p[i];
    }
  }
  buf[at] = weight;
  MPI_Request request;
  detail::check(MPI_Iallreduce(MPI_IN_PLACE, buf.data(), int(buf.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD, &request),
                "MPI_Iallreduce");
  detail::wait_for(request, "MPI_Iallreduce");
  const double total = buf[at];
  NF_CHECK(total > 0, "dist::allreduce_mean_: the weights of all ranks sum to ", total, " (need > 0)");
  at = 0;
  for (size_t k = 0; k < tensors.size(); ++k) {
    const Tensor& h = hosts[k];
    if (h.dtype() == DType::f32) {
      float* p = h.data<float>();
      for (int64_t i = 0; i < h.numel(); ++i) p[i] = float(buf[at++] / total);
    } else {
      double* p = h.data<double>();
      for (int64_t i = 0; i < h.numel(); ++i) p[i] = buf[at++] / total;
    }
    write_back(tensors[k], h);
  }
}

void allreduce_sum_(std::vector<double>& values) {
  check_same_count(int64_t(values.size()), "allreduce_sum_");
  MPI_Request request;
  detail::check(
      MPI_Iallreduce(MPI_IN_PLACE, values.data(), int(values.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD, &request),
      "MPI_Iallreduce");
  detail::wait_for(request, "MPI_Iallreduce");
}

void broadcast_(const std::vector<Tensor>& tensors, int root) {
  check_same_count(total_numel(tensors), "broadcast_");
  // Byte-exact: each tensor's raw bytes, packed in order.
  std::vector<Tensor> hosts;
  size_t bytes = 0;
  for (const Tensor& t : tensors) {
    hosts.push_back(host_copy(t, "broadcast_"));
    bytes += size_t(t.numel()) * dtype_size(t.dtype());
  }
  std::vector<char> buf(bytes);
  const bool sender = rank() == root;
  size_t at = 0;
  if (sender)
    for (const Tensor& h : hosts) {
      const size_t nb = size_t(h.numel()) * dtype_size(h.dtype());
      std::memcpy(buf.data() + at, h.raw_data(), nb);
      at += nb;
    }
  MPI_Request request;
  detail::check(MPI_Ibcast(buf.data(), int(buf.size()), MPI_BYTE, root, MPI_COMM_WORLD, &request), "MPI_Ibcast");
  detail::wait_for(request, "MPI_Ibcast");
  if (sender) return;
  at = 0;
  for (size_t k = 0; k < tensors.size(); ++k) {
    const size_t nb = size_t(hosts[k].numel()) * dtype_size(hosts[k].dtype());
    std::memcpy(hosts[k].raw_data(), buf.data() + at, nb);
    at += nb;
    write_back(tensors[k], hosts[k]);
  }
}

uint64_t fingerprint(const std::vector<Tensor>& tensors) {
  uint64_t h = 1469598103934665603ull;
  for (const Tensor& t : tensors) {
    const Tensor c = host_copy(t, "fingerprint");
    const auto* p = static_cast<const unsigned char*>(c.raw_data());
    const size_t nb = size_t(c.numel()) * dtype_size(c.dtype());
    for (size_t i = 0; i < nb; ++i) h = (h ^ p[i]) * 1099511628211ull;
  }
  return h;
}

bool same_on_all_ranks(const std::vector<Tensor>& tensors) {
  const uint64_t mine = fingerprint(tensors);
  uint64_t lo = mine, hi = mine;
  MPI_Request r[2];
  detail::check(MPI_Iallreduce(MPI_IN_PLACE, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD, &r[0]), "MPI_Iallreduce");
  detail::check(MPI_Iallreduce(MPI_IN_PLACE, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD, &r[1]), "MPI_Iallreduce");
  detail::wait_for(r[0], "MPI_Iallreduce");
  detail::wait_for(r[1], "MPI_Iallreduce");
  return lo == hi;
}

}  // namespace nf::dist
