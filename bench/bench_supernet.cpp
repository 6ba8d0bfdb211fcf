// One bilevel DARTS step on the darts-space supernet, through the search's own
// code (nas::BilevelOptimizer::step, as nas/darts_search.cpp runs it per step):
// an α step (Adam lr 3e-4, betas (0.5, 0.999), weight decay 1e-3) on a
// validation batch, then a weight step (SGD lr 0.025, momentum 0.9, weight
// decay 3e-4, gradient-norm clip 5) on a training batch. Second order adds the
// unrolled step and the finite-difference Hessian-vector product.
// Synthetic Fashion-MNIST-shaped data: x [B,1,28,28] ~ N(0,1), labels in [0,10),
// one fixed training and one fixed validation batch.
//   supernet/o<order>_C<channels>_L<cells>_B<batch>
// Counters: items_per_second = training images per second (B per step, the
// search's "images"), steps_per_second, peak_rss_MiB = the process's resident
// peak (VmHWM) over this benchmark: reset before building the supernet;
// weights = the supernet's parameter count without α.
// Names are parsed by bench/peers/run_peers.py, which runs the same step in
// PyTorch (bench/peers/supernet_torch.py).
#include <benchmark/benchmark.h>

#include <fstream>
#include <string>

#include "nas/darts_search.h"
#include "nas/supernet_darts.h"
#include "tensor/factory.h"
#include "tensor/random.h"

namespace {

constexpr int64_t kClasses = 10;

struct SupernetCase {
  int64_t order, channels, cells, batch;
};

// The search defaults (nasforge search --strategy darts: C 8, 5 cells, batch 64) and a smaller net.
constexpr SupernetCase kCases[] = {{1, 8, 5, 64}, {1, 8, 3, 32}, {2, 8, 5, 64}, {2, 8, 3, 32}};

// Resets the kernel's resident-set peak (VmHWM) of this process; false where unsupported.
bool reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  f.flush();
  return f.good();
}

// VmHWM in MiB (0 when /proc is unavailable).
double peak_rss_mib() {
  std::ifstream f("/proc/self/status");
  std::string key;
  while (f >> key) {
    if (key == "VmHWM:") {
      double kib = 0;
      f >> kib;
      return kib / 1024.0;
    }
    f.ignore(1 << 16, '\n');
  }
  return 0;
}

void supernet_case(benchmark::State& state, SupernetCase c) {
  const bool peak_reset = reset_peak_rss();
  nf::manual_seed(0);  // as the search: the seed fixes weights and α
  nf::nas::NetworkConfig cfg;
  cfg.image_shape = {1, 28, 28};
  cfg.num_classes = kClasses;
  cfg.channels = c.channels;
  cfg.cells = c.cells;
  auto net = std::make_shared<nf::nas::DartsSupernetImpl>(cfg);
  net->train();
  nf::nas::DartsSearchOptions options;  // the search's optimiser defaults
  options.order = c.order;
  options.batch_size = c.batch;
  nf::nas::BilevelOptimizer opt(*net, options);
  nf::Generator gen(3);
  const nf::data::Batch train{nf::randn({c.batch, 1, 28, 28}, {}, &gen),
                              nf::randint(kClasses, {c.batch}, nf::Device::cpu(), &gen)};
  const nf::data::Batch val{nf::randn({c.batch, 1, 28, 28}, {}, &gen),
                            nf::randint(kClasses, {c.batch}, nf::Device::cpu(), &gen)};
  benchmark::DoNotOptimize(opt.step(train, val));  // warm-up: first-touch allocations
  for (auto _ : state) {
    const nf::nas::BilevelStepStats s = opt.step(train, val);  // reads both losses, as the search does
    benchmark::DoNotOptimize(s.train_loss);
  }
  state.SetItemsProcessed(state.iterations() * c.batch);
  state.counters["steps_per_second"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["peak_rss_MiB"] = peak_rss_mib();
  int64_t weights = 0;
  for (const nf::Tensor& w : opt.weights()) weights += w.numel();
  state.counters["weights"] = double(weights);  // without α (C 8, 5 cells: 393,778; α: 2 x 14 x 8)
  if (!peak_reset) state.SetLabel("peak_rss_MiB is the process's peak so far (no /proc/self/clear_refs)");
}

}  // namespace

int main(int argc, char** argv) {
  for (const SupernetCase& c : kCases) {
    const std::string name = "supernet/o" + std::to_string(c.order) + "_C" + std::to_string(c.channels) + "_L" +
                             std::to_string(c.cells) + "_B" + std::to_string(c.batch);
    // Real time: the kernels run on every OpenMP thread, not only this one.
    benchmark::RegisterBenchmark(name.c_str(), supernet_case, c)->UseRealTime()->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
