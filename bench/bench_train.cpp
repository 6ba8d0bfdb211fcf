// Whole training steps of the models `nasforge train` trains, built through
// tools::make_model so that this measures exactly that network, on synthetic
// Fashion-MNIST-shaped data (x [B,1,28,28] ~ N(0,1), labels in [0,10)):
//   train/<model>_step_B<b>     zero_grad, forward, cross_entropy, loss.item(),
//                               backward, SGD step (lr 0.01, momentum 0.9,
//                               weight decay 5e-4: cmd_train.cpp's defaults)
//   train/<model>_forward_B<b>  eval-mode forward without a graph (inference)
// Names are parsed by bench/peers/run_peers.py, which runs the same cases in
// PyTorch. items_per_second counts images.
#include <benchmark/benchmark.h>

#include <string>

#include "autograd/grad_mode.h"
#include "nn/nn.h"
#include "tensor/factory.h"
#include "tensor/random.h"
#include "tools/models.h"

namespace {

constexpr int64_t kClasses = 10;
const nf::Shape kImage{1, 28, 28};  // Fashion-MNIST [C,H,W]

struct TrainCase {
  const char* model;
  int64_t batch;
  bool step;  // full training step, else eval-mode forward only
};

constexpr TrainCase kCases[] = {{"cnn", 128, true}, {"mlp", 128, true}, {"cnn", 256, false}};

void train_case(benchmark::State& state, TrainCase c) {
  nf::manual_seed(0);  // as cmd_train: the seed fixes the initialisation
  auto net = nf::tools::make_model(c.model, kImage, kClasses);
  nf::Generator gen(3);
  const nf::Tensor x = nf::randn({c.batch, kImage[0], kImage[1], kImage[2]}, {}, &gen);
  const nf::Tensor y = nf::randint(kClasses, {c.batch}, nf::Device::cpu(), &gen);
  if (c.step) {
    net->train();
    nf::optim::SGD opt(net->parameters(), {.lr = 0.01, .momentum = 0.9, .weight_decay = 5e-4});
    for (auto _ : state) {
      opt.zero_grad();
      nf::Tensor loss = nf::nn::cross_entropy(net->forward(x), y);
      benchmark::DoNotOptimize(loss.item());  // cmd_train reads the loss every step
      loss.backward();
      opt.step();
    }
  } else {
    net->eval();
    nf::autograd::NoGradGuard no_grad;
    for (auto _ : state) {
      nf::Tensor logits = net->forward(x);
      benchmark::DoNotOptimize(logits.raw_data());
    }
  }
  state.SetItemsProcessed(state.iterations() * c.batch);
}

}  // namespace

int main(int argc, char** argv) {
  for (const TrainCase& c : kCases) {
    std::string name = std::string("train/") + c.model + (c.step ? "_step_B" : "_forward_B") +
                       std::to_string(c.batch);
    // Real time: the kernels run on every OpenMP thread, not only this one.
    benchmark::RegisterBenchmark(name.c_str(), train_case, c)->UseRealTime()->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
