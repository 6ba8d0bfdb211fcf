// conv2d forward and both backward passes through nf::raw, batch 64, on the
// layers the NAS cell spaces use: 3x3 and 5x5, 3x3 dilated by 2, depthwise
// 3x3 and 5x5 (groups = channels), at 16 channels 28x28 and 32 channels 14x14.
// Stride 1 and "same" padding (dilation * (k - 1) / 2), C_out = C_in.
// Names are "conv2d_<pass>/C<c>_H<h>_k<k>_d<d>_g<g>" (bench/peers/run_peers.py
// parses them); FLOP/s counts 2 * N * O * OH * OW * (C/g) * KH * KW per call.
#include <benchmark/benchmark.h>

#include <string>
#include <utility>

#include "tensor/factory.h"
#include "tensor/ops.h"

namespace {

constexpr int64_t kBatch = 64;

struct ConvCase {
  int64_t channels, size, kernel, dilation, groups;
};

constexpr ConvCase kCases[] = {
    {16, 28, 3, 1, 1},  {16, 28, 5, 1, 1},  {16, 28, 3, 2, 1},
    {16, 28, 3, 1, 16}, {16, 28, 5, 1, 16},
    {32, 14, 3, 1, 1},  {32, 14, 5, 1, 1},  {32, 14, 3, 2, 1},
    {32, 14, 3, 1, 32}, {32, 14, 5, 1, 32},
};

enum class Pass { forward, backward_input, backward_weight };

void conv(benchmark::State& state, ConvCase c, Pass pass) {
  nf::ConvParams p;
  p.pad_h = p.pad_w = c.dilation * (c.kernel - 1) / 2;
  p.dilation_h = p.dilation_w = c.dilation;
  p.groups = c.groups;
  const nf::Shape x_shape{kBatch, c.channels, c.size, c.size};
  const nf::Shape w_shape{c.channels, c.channels / c.groups, c.kernel, c.kernel};
  nf::Generator gen(7);
  nf::Tensor x = nf::randn(x_shape, {}, &gen);
  nf::Tensor w = nf::randn(w_shape, {}, &gen);
  nf::Tensor grad_out = nf::randn(x_shape, {}, &gen);  // same padding: output shape = input shape
  for (auto _ : state) {
    nf::Tensor r;
    switch (pass) {
      case Pass::forward: r = nf::raw::conv2d(x, w, nf::Tensor{}, p); break;
      case Pass::backward_input: r = nf::raw::conv2d_backward_input(grad_out, w, x_shape, p); break;
      case Pass::backward_weight: r = nf::raw::conv2d_backward_weight(grad_out, x, w_shape, p); break;
    }
    benchmark::DoNotOptimize(r.raw_data());
  }
  double flops = 2.0 * kBatch * c.channels * c.size * c.size * (c.channels / c.groups) * c.kernel *
                 c.kernel * double(state.iterations());
  state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsRate);
}

}  // namespace

int main(int argc, char** argv) {
  const std::pair<Pass, const char*> passes[] = {{Pass::forward, "conv2d_forward"},
                                                 {Pass::backward_input, "conv2d_backward_input"},
                                                 {Pass::backward_weight, "conv2d_backward_weight"}};
  for (auto [pass, pass_name] : passes) {
    for (const ConvCase& c : kCases) {
      std::string name = std::string(pass_name) + "/C" + std::to_string(c.channels) + "_H" +
                         std::to_string(c.size) + "_k" + std::to_string(c.kernel) + "_d" +
                         std::to_string(c.dilation) + "_g" + std::to_string(c.groups);
      // Real time: the kernels run on every OpenMP thread, not only this one.
      benchmark::RegisterBenchmark(name.c_str(), conv, c, pass)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
