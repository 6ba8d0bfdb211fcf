// The cell ops of a DARTS network, batch 64, through nf::raw, and one training
// step of the network derived from runs/darts-a/best.json (C=16, 5 cells):
//   dw_<pass>/C<c>_H<h>_k<k>_d<d>_s<s>   depthwise conv (groups = C), pad d*(k-1)/2;
//                                        pass = fwd | bwd_input | bwd_weight
//   pool_<max|avg>_<fwd|bwd>/C<c>_H<h>_s<s>  3x3 pooling, pad 1
//   darts_step/C16_cells5_B64            zero_grad, forward, cross_entropy,
//                                        loss.item(), backward, SGD step
// FLOP/s counts 2 * N * C * OH * OW * K * K per depthwise call; bytes/s the
// input and output tensors of a pooling call. Shapes are the odd 28/14/7 sizes
// of Fashion-MNIST cells. Run with OMP_WAIT_POLICY=passive on a shared machine.
#include <benchmark/benchmark.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "nas/genotype.h"
#include "nas/network.h"
#include "nas/space.h"
#include "nn/nn.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tensor/random.h"

#ifndef NF_SOURCE_DIR
#define NF_SOURCE_DIR "."
#endif

namespace {

constexpr int64_t kBatch = 64;

struct DwCase {
  int64_t channels, size, kernel, dilation, stride;
};

// The sep_conv / dil_conv depthwise layers of a C=16 network: normal cells at
// 28 (C16), 14 (C32), 7 (C64) and the stride-2 first halves in reductions.
constexpr DwCase kDwCases[] = {
    {16, 28, 3, 1, 1}, {16, 28, 5, 1, 1}, {16, 28, 3, 2, 1}, {16, 28, 5, 2, 1},
    {32, 14, 3, 1, 1}, {32, 14, 5, 1, 1}, {32, 14, 5, 2, 1}, {64, 7, 5, 1, 1},
    {64, 7, 5, 2, 1},  {32, 28, 3, 1, 2}, {32, 28, 5, 1, 2}, {64, 14, 5, 1, 2},
};

enum class Pass { forward, backward_input, backward_weight };

int64_t out_size(int64_t in, const DwCase& c) {
  const int64_t pad = c.dilation * (c.kernel - 1) / 2;
  return (in + 2 * pad - c.dilation * (c.kernel - 1) - 1) / c.stride + 1;
}

void depthwise(benchmark::State& state, DwCase c, Pass pass) {
  nf::ConvParams p;
  p.pad_h = p.pad_w = c.dilation * (c.kernel - 1) / 2;
  p.dilation_h = p.dilation_w = c.dilation;
  p.stride_h = p.stride_w = c.stride;
  p.groups = c.channels;
  const int64_t os = out_size(c.size, c);
  const nf::Shape x_shape{kBatch, c.channels, c.size, c.size};
  const nf::Shape w_shape{c.channels, 1, c.kernel, c.kernel};
  nf::Generator gen(7);
  nf::Tensor x = nf::randn(x_shape, {}, &gen);
  nf::Tensor w = nf::randn(w_shape, {}, &gen);
  nf::Tensor grad_out = nf::randn({kBatch, c.channels, os, os}, {}, &gen);
  for (auto _ : state) {
    nf::Tensor r;
    switch (pass) {
      case Pass::forward: r = nf::raw::conv2d(x, w, nf::Tensor{}, p); break;
      case Pass::backward_input: r = nf::raw::conv2d_backward_input(grad_out, w, x_shape, p); break;
      case Pass::backward_weight: r = nf::raw::conv2d_backward_weight(grad_out, x, w_shape, p); break;
    }
    benchmark::DoNotOptimize(r.raw_data());
  }
  const double flops = 2.0 * kBatch * c.channels * os * os * c.kernel * c.kernel * double(state.iterations());
  state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsRate);
}

struct PoolCase {
  int64_t channels, size, stride;
};
constexpr PoolCase kPoolCases[] = {{16, 28, 1}, {32, 14, 1}, {64, 7, 1}, {32, 28, 2}, {64, 14, 2}};

void pool(benchmark::State& state, PoolCase c, bool max, bool backward) {
  nf::PoolParams p;
  p.kernel_h = p.kernel_w = 3;
  p.stride_h = p.stride_w = c.stride;
  p.pad_h = p.pad_w = 1;
  const int64_t os = (c.size + 2 - 3) / c.stride + 1;
  const nf::Shape x_shape{kBatch, c.channels, c.size, c.size};
  nf::Generator gen(11);
  nf::Tensor x = nf::randn(x_shape, {}, &gen);
  nf::Tensor grad_out = nf::randn({kBatch, c.channels, os, os}, {}, &gen);
  nf::Tensor indices = max ? nf::raw::max_pool2d(x, p).second : nf::Tensor{};
  for (auto _ : state) {
    nf::Tensor r;
    if (max)
      r = backward ? nf::raw::max_pool2d_backward(grad_out, indices, x_shape) : nf::raw::max_pool2d(x, p).first;
    else
      r = backward ? nf::raw::avg_pool2d_backward(grad_out, x_shape, p) : nf::raw::avg_pool2d(x, p);
    benchmark::DoNotOptimize(r.raw_data());
  }
  const double bytes = 4.0 * kBatch * c.channels * (c.size * c.size + os * os) * double(state.iterations());
  state.counters["bytes/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsRate);
}

// One training step of the derived network, as `nasforge train --genotype
// runs/darts-a/best.json --channels 16 --cells 5` builds it (SGD with
// cmd_train's defaults), on x [64,1,28,28] ~ N(0,1).
void darts_step(benchmark::State& state) {
  const std::string path = std::string(NF_SOURCE_DIR) + "/runs/darts-a/best.json";
  std::ifstream in(path);
  if (!in.good()) {
    state.SkipWithError(("cannot read " + path + " (run from the repository root)").c_str());
    return;
  }
  const nlohmann::json j = nlohmann::json::parse(in);
  nf::nas::NetworkConfig cfg;
  cfg.channels = 16;
  cfg.cells = 5;
  nf::manual_seed(0);
  auto space = nf::nas::make_space(j.contains("space") ? j["space"] : nlohmann::json{{"space", "darts"}});
  auto net = space->build(j.at("genotype").get<nf::nas::Genotype>(), cfg);
  nf::Generator gen(3);
  const nf::Tensor x = nf::randn({kBatch, 1, 28, 28}, {}, &gen);
  const nf::Tensor y = nf::randint(10, {kBatch}, nf::Device::cpu(), &gen);
  net->train();
  nf::optim::SGD opt(net->parameters(), {.lr = 0.01, .momentum = 0.9, .weight_decay = 5e-4});
  for (auto _ : state) {
    opt.zero_grad();
    nf::Tensor loss = nf::nn::cross_entropy(net->forward(x), y);
    benchmark::DoNotOptimize(loss.item());
    loss.backward();
    opt.step();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

std::string dw_name(const char* pass, const DwCase& c) {
  return std::string("dw_") + pass + "/C" + std::to_string(c.channels) + "_H" + std::to_string(c.size) + "_k" +
         std::to_string(c.kernel) + "_d" + std::to_string(c.dilation) + "_s" + std::to_string(c.stride);
}

}  // namespace

int main(int argc, char** argv) {
  // Real time throughout: the kernels run on every OpenMP thread, not only this one.
  const std::pair<Pass, const char*> passes[] = {
      {Pass::forward, "fwd"}, {Pass::backward_input, "bwd_input"}, {Pass::backward_weight, "bwd_weight"}};
  for (auto [pass, pass_name] : passes)
    for (const DwCase& c : kDwCases)
      benchmark::RegisterBenchmark(dw_name(pass_name, c).c_str(), depthwise, c, pass)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
  for (bool max : {true, false})
    for (bool backward : {false, true})
      for (const PoolCase& c : kPoolCases) {
        const std::string name = std::string("pool_") + (max ? "max" : "avg") + (backward ? "_bwd" : "_fwd") + "/C" +
                                 std::to_string(c.channels) + "_H" + std::to_string(c.size) + "_s" +
                                 std::to_string(c.stride);
        benchmark::RegisterBenchmark(name.c_str(), pool, c, max, backward)->UseRealTime()->Unit(benchmark::kMicrosecond);
      }
  benchmark::RegisterBenchmark("darts_step/C16_cells5_B64", darts_step)->UseRealTime()->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
