// Memory-bound kernels through the tensor front end (nf::raw, CPU backend):
// add, mul, relu, exp and the sum / max reductions over 1M floats (4 MiB per
// tensor, cache-sized on big parts) and 16M floats (64 MiB: DRAM), each next
// to a memcpy of the same bytes. bytes_per_second counts every byte read or
// written once (add/mul: 2 reads + 1 write; relu/exp: 1 + 1; reductions: 1
// read; memcpy: 1 + 1), so it compares directly with the memcpy row.
// Names: "<op>/n:<elements>".
#include <benchmark/benchmark.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "tensor/factory.h"
#include "tensor/ops.h"

namespace {

namespace raw = nf::raw;
using nf::Tensor;

struct Op {
  const char* name;
  int tensors_touched;  // tensors of n floats read or written per call
  std::function<Tensor(const Tensor&, const Tensor&)> run;
};

const std::vector<Op>& ops() {
  static const std::vector<Op> list = {
      {"add", 3, [](const Tensor& a, const Tensor& b) { return raw::add(a, b); }},
      {"mul", 3, [](const Tensor& a, const Tensor& b) { return raw::mul(a, b); }},
      {"relu", 2, [](const Tensor& a, const Tensor&) { return raw::unary(nf::UnaryOp::relu, a); }},
      {"exp", 2, [](const Tensor& a, const Tensor&) { return raw::exp(a); }},
      {"sum", 1, [](const Tensor& a, const Tensor&) { return raw::sum(a); }},
      {"max", 1, [](const Tensor& a, const Tensor&) { return raw::max(a); }},
  };
  return list;
}

void elementwise(benchmark::State& state, const Op& op, int64_t n) {
  nf::Generator gen(1);
  Tensor a = nf::randn({n}, {}, &gen), b = nf::randn({n}, {}, &gen);
  for (auto _ : state) {
    Tensor y = op.run(a, b);
    benchmark::DoNotOptimize(y.raw_data());
  }
  state.SetBytesProcessed(state.iterations() * op.tensors_touched * n * int64_t(sizeof(float)));
}

// The same bytes as a unary op (n floats read, n written), single-threaded libc memcpy.
void memcpy_baseline(benchmark::State& state, int64_t n) {
  std::vector<float> src(n, 1.0f), dst(n);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), n * sizeof(float));
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * n * int64_t(sizeof(float)));
}

}  // namespace

int main(int argc, char** argv) {
  for (int64_t n : {int64_t{1} << 20, int64_t{1} << 24}) {
    const std::string suffix = "/n:" + std::to_string(n);
    for (const Op& op : ops())
      // Real time: the kernels run on every OpenMP thread, not only this one.
      benchmark::RegisterBenchmark((op.name + suffix).c_str(), elementwise, op, n)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("memcpy" + suffix).c_str(), memcpy_baseline, n)
        ->UseRealTime()
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
