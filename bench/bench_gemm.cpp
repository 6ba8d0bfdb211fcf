// SGEMM through nf::raw::matmul (the CPU backend's packed GEMM): square sizes
// and the im2col GEMMs that the NAS spaces' convolutions produce, with the
// transposed products of their gradients.
// Names are "sgemm<layout>/M<m>_N<n>_K<k>" (bench/peers/run_peers.py parses
// them): layout "" = A [M,K] x B [K,N]; "_tn" = A stored [K,M], used transposed
// (the input gradient W^T x grad_out); "_nt" = B stored [N,K], used transposed
// (the weight gradient grad_out x col^T). FLOP/s counts 2*M*N*K per call.
#include <benchmark/benchmark.h>

#include <string>

#include "tensor/factory.h"
#include "tensor/ops.h"

namespace {

struct GemmShape {
  int64_t m, n, k;
  bool trans_a = false, trans_b = false;
};

constexpr GemmShape kShapes[] = {
    {128, 128, 128}, {256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024}, {2048, 2048, 2048},
    // 3x3 conv, 64 in -> 64 out channels, batch 32 at 28x28, as [O, C*9] x [C*9, N*H*W],
    // and its gradients: columns W^T x grad_out, weights grad_out x col^T
    {64, 25088, 576}, {576, 25088, 64, true, false}, {64, 576, 25088, false, true},
    // 3x3 conv, 128 -> 128 channels, batch 32 at 14x14, and its gradients
    {128, 6272, 1152}, {1152, 6272, 128, true, false}, {128, 1152, 6272, false, true},
};

void sgemm(benchmark::State& state, GemmShape s) {
  nf::Generator gen(42);
  nf::Tensor a = s.trans_a ? nf::randn({s.k, s.m}, {}, &gen).transpose(0, 1)
                           : nf::randn({s.m, s.k}, {}, &gen);
  nf::Tensor b = s.trans_b ? nf::randn({s.n, s.k}, {}, &gen).transpose(0, 1)
                           : nf::randn({s.k, s.n}, {}, &gen);
  for (auto _ : state) {
    nf::Tensor c = nf::raw::matmul(a, b);
    benchmark::DoNotOptimize(c.raw_data());
  }
  double flops = 2.0 * double(s.m) * double(s.n) * double(s.k) * double(state.iterations());
  state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsRate);
}

}  // namespace

int main(int argc, char** argv) {
  for (const GemmShape& s : kShapes) {
    const char* layout = s.trans_a ? "_tn" : s.trans_b ? "_nt" : "";
    std::string name = "sgemm" + std::string(layout) + "/M" + std::to_string(s.m) + "_N" +
                       std::to_string(s.n) + "_K" + std::to_string(s.k);
    // Real time: the kernel runs on every OpenMP thread, not only this one.
    benchmark::RegisterBenchmark(name.c_str(), sgemm, s)->UseRealTime()->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
