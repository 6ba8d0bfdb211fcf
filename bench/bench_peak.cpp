// The machine's f32 FMA peak: 12 independent accumulator chains of fused
// multiply-adds (enough to cover FMA latency x throughput: 4 cycles x 2 ports
// = 8 in flight on current x86 cores), nothing else in the loop. One variant
// per vector ISA the CPU supports (AVX2+FMA on ymm, AVX-512F on zmm, chosen at
// run time), on 1 thread and on all OpenMP threads. The GFLOP/s counter counts
// 2 flops per lane per FMA (shown as FLOP/s=<n>G/s, the GFLOP/s figure); it is the
// ceiling to read bench_gemm's FLOP/s against.
// Names: "fma_peak/<isa>/threads:<n>".
#include <benchmark/benchmark.h>

#include <omp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/cpu/gemm_isa.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NF_PEAK_X86 1
#endif

namespace {

constexpr int kChains = 12;
constexpr int64_t kIters = int64_t{1} << 20;  // 12 Mi FMAs per thread per call: a few ms

#ifdef NF_PEAK_X86
// acc = acc * m + a converges to a / (1 - m) (no overflow, no denormals).
__attribute__((target("avx2,fma"))) float fma_loop_avx2(int64_t iters) {
  __m256 acc[kChains];
  for (int r = 0; r < kChains; ++r) acc[r] = _mm256_set1_ps(0.01f * float(r));
  const __m256 m = _mm256_set1_ps(0.999f), a = _mm256_set1_ps(1e-3f);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int r = 0; r < kChains; ++r) acc[r] = _mm256_fmadd_ps(acc[r], m, a);
  }
  __m256 s = acc[0];
  for (int r = 1; r < kChains; ++r) s = _mm256_add_ps(s, acc[r]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  return lanes[0] + lanes[7];
}

__attribute__((target("avx512f"))) float fma_loop_avx512(int64_t iters) {
  __m512 acc[kChains];
  for (int r = 0; r < kChains; ++r) acc[r] = _mm512_set1_ps(0.01f * float(r));
  const __m512 m = _mm512_set1_ps(0.999f), a = _mm512_set1_ps(1e-3f);
  for (int64_t i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int r = 0; r < kChains; ++r) acc[r] = _mm512_fmadd_ps(acc[r], m, a);
  }
  __m512 s = acc[0];
  for (int r = 1; r < kChains; ++r) s = _mm512_add_ps(s, acc[r]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  return lanes[0] + lanes[15];
}
#endif

struct Variant {
  const char* isa;
  float (*loop)(int64_t);
  int lanes;  // f32 lanes per vector
};

void fma_peak(benchmark::State& state, Variant v, int threads) {
  float sink = 0;
  for (auto _ : state) {
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    sink += v.loop(kIters);
  }
  benchmark::DoNotOptimize(sink);
  const double flops =
      2.0 * v.lanes * kChains * double(kIters) * threads * double(state.iterations());
  // Printed as "FLOP/s=<n>G/s", like bench_gemm's counter.
  state.counters["FLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsRate);
}

}  // namespace

int main(int argc, char** argv) {
  using nf::cpu::GemmIsa;
  std::vector<Variant> variants;
#ifdef NF_PEAK_X86
  if (nf::cpu::gemm_isa_supported(GemmIsa::avx2)) variants.push_back({"avx2", fma_loop_avx2, 8});
  if (nf::cpu::gemm_isa_supported(GemmIsa::avx512))
    variants.push_back({"avx512", fma_loop_avx512, 16});
#endif
  const int all = omp_get_max_threads();
  for (const Variant& v : variants)
    for (int threads : {1, all}) {
      std::string name = std::string("fma_peak/") + v.isa + "/threads:" + std::to_string(threads);
      // Real time: the loop runs on every OpenMP thread, not only this one.
      benchmark::RegisterBenchmark(name.c_str(), fma_peak, v, threads)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
      if (all == 1) break;  // "all threads" is the 1-thread case again
    }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
