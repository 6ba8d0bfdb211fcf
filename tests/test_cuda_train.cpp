// Training on the CUDA device end to end, against the same run on the CPU:
// a conv net's SGD steps, DARTS bilevel steps (first and second order), a NAS
// trial through the Evaluator, and a DARTS epoch whose checkpoint, written from
// the device, loads on the host. Same seeds, same batches, so the two devices
// differ only by float rounding (summation order, cuBLAS vs the CPU GEMM);
// tolerances are relative to each value's size. Skips without a device.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cuda/device.h"
#include "data/dataset.h"
#include "nas/darts_search.h"
#include "nas/evaluator.h"
#include "nas/space.h"
#include "nas/supernet_darts.h"
#include "nn/nn.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tensor/random.h"

namespace {

using nf::Device;
using nf::Tensor;
namespace raw = nf::raw;
namespace fs = std::filesystem;

const Device kCuda = Device::cuda(0);

class CudaTrain : public testing::Test {
 protected:
  void SetUp() override {
    if (nf::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device: " << nf::cuda::no_device_reason();
  }
};

// Element by element: |a - b| <= tol * (1 + |b|).
void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    ASSERT_TRUE(std::isfinite(g[i])) << what << " [" << i << "] = " << g[i];
    const double err = std::abs(g[i] - w[i]) / (1 + std::abs(w[i]));
    if (err > worst) worst = err, at = i;
  }
  EXPECT_LE(worst, tol) << what << ": worst at [" << at << "]: " << g[at] << " vs " << w[at];
}

void expect_same_state(const nf::nn::Module& got, const nf::nn::Module& want, double tol) {
  const auto g = got.named_state(), w = want.named_state();
  ASSERT_EQ(g.size(), w.size());
  for (size_t i = 0; i < g.size(); ++i) expect_close(g[i].second, w[i].second, tol, g[i].first);
}

// A small labelled image set [n,1,8,8] (the label sets a bright row) as the loader takes it.
std::shared_ptr<nf::data::TensorDataset> image_set(int64_t n, uint64_t seed) {
  nf::Generator gen(seed);
  Tensor images = nf::rand({n, 1, 8, 8}, {}, &gen);
  Tensor labels = nf::randint(4, {n}, Device::cpu(), &gen);
  const std::vector<int64_t> l = labels.to_vector<int64_t>();
  for (int64_t i = 0; i < n; ++i) raw::fill_(raw::select(raw::select(raw::select(images, 0, i), 0, 0), 0, 2 * l[size_t(i)]), 1.0);
  return std::make_shared<nf::data::TensorDataset>(images, labels, 4);
}

TEST_F(CudaTrain, ConvNetStepsMatchCpu) {
  auto make = [] {
    nf::manual_seed(1);
    return nf::nn::Sequential(nf::nn::Conv2d(1, 8, 3, {.padding = 1}), nf::nn::BatchNorm2d(8), nf::nn::ReLU(),
                              nf::nn::MaxPool2d(2), nf::nn::Conv2d(8, 8, 3, {.padding = 1}), nf::nn::ReLU(),
                              nf::nn::GlobalAvgPool(), nf::nn::Linear(8, 4));
  };
  auto cpu = make(), gpu = make();
  gpu->to(kCuda);
  nf::optim::SGD cpu_opt(cpu->parameters(), {.lr = 0.05, .momentum = 0.9, .weight_decay = 5e-4});
  nf::optim::SGD gpu_opt(gpu->parameters(), {.lr = 0.05, .momentum = 0.9, .weight_decay = 5e-4});
  for (const auto& [name, t] : gpu_opt.state_tensors()) EXPECT_TRUE(t.device() == kCuda) << name;
  auto set = image_set(33, 4);  // odd batch
  const nf::data::Batch b = set->get_batch({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                            21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32});
  const Tensor x = raw::cast(b.images, nf::DType::f32), y = b.labels;
  const Tensor gx = raw::to_device(x, kCuda), gy = raw::to_device(y, kCuda);
  for (int step = 0; step < 4; ++step) {
    cpu_opt.zero_grad();
    gpu_opt.zero_grad();
    Tensor lc = nf::nn::cross_entropy(cpu->forward(x), y), lg = nf::nn::cross_entropy(gpu->forward(gx), gy);
    EXPECT_NEAR(lg.item(), lc.item(), 1e-4 * (1 + std::abs(lc.item()))) << "step " << step;
    lc.backward();
    lg.backward();
    nf::optim::clip_grad_norm_(cpu->parameters(), 1.0);
    nf::optim::clip_grad_norm_(gpu->parameters(), 1.0);
    cpu_opt.step();
    gpu_opt.step();
  }
  expect_same_state(*gpu, *cpu, 2e-4);
}

nf::nas::NetworkConfig tiny_darts() {
  nf::nas::NetworkConfig cfg;
  cfg.image_shape = {1, 8, 8};
  cfg.num_classes = 4;
  cfg.channels = 2;
  cfg.cells = 2;
  return cfg;
}

TEST_F(CudaTrain, DartsBilevelStepsMatchCpu) {
  auto set = image_set(32, 5);
  std::vector<int64_t> first(16), second(16);
  for (int64_t i = 0; i < 16; ++i) first[size_t(i)] = i, second[size_t(i)] = 16 + i;
  const nf::data::Batch train = set->get_batch(first), val = set->get_batch(second);
  for (int64_t order : {1, 2}) {
    nf::manual_seed(3);
    auto cpu = std::make_shared<nf::nas::DartsSupernetImpl>(tiny_darts());
    nf::manual_seed(3);
    auto gpu = std::make_shared<nf::nas::DartsSupernetImpl>(tiny_darts());
    gpu->to(kCuda);
    nf::nas::DartsSearchOptions o;
    o.order = order;
    nf::nas::BilevelOptimizer cpu_opt(*cpu, o), gpu_opt(*gpu, o);
    const nf::data::Batch gtrain{raw::to_device(train.images, kCuda), raw::to_device(train.labels, kCuda)};
    const nf::data::Batch gval{raw::to_device(val.images, kCuda), raw::to_device(val.labels, kCuda)};
    for (int step = 0; step < 2; ++step) {
      const nf::nas::BilevelStepStats c = cpu_opt.step(train, val), g = gpu_opt.step(gtrain, gval);
      EXPECT_NEAR(g.train_loss, c.train_loss, 1e-4 * (1 + std::abs(c.train_loss))) << "order " << order;
      EXPECT_NEAR(g.val_loss, c.val_loss, 1e-4 * (1 + std::abs(c.val_loss))) << "order " << order;
    }
    // Second order divides a difference of gradients by 2 eps: rounding grows there.
    const double tol = order == 1 ? 2e-4 : 2e-3;
    for (size_t i = 0; i < cpu->arch_parameters().size(); ++i)
      expect_close(gpu->arch_parameters()[i], cpu->arch_parameters()[i], tol, "alpha (order " + std::to_string(order) + ")");
    expect_same_state(*gpu, *cpu, tol);
  }
}

TEST_F(CudaTrain, EvaluatorTrialOnDevice) {
  const auto space = nf::nas::make_space({{"space", "nb201"}});
  nf::nas::NetworkConfig network;
  network.image_shape = {1, 8, 8};
  network.num_classes = 4;
  network.channels = 4;
  nf::nas::TrialProtocol protocol;
  protocol.epochs = 2;
  protocol.batch_size = 16;
  protocol.lr = 0.05;
  protocol.latency_runs = 2;
  nf::nas::TrialData data{image_set(96, 6), image_set(40, 7), {}, {}};
  nf::nas::Evaluator cpu(*space, network, protocol, {}, data);
  nf::nas::Evaluator gpu(*space, network, protocol, {}, data);
  gpu.set_device(kCuda);
  nf::Generator gen(8);
  const nf::nas::Genotype g = space->sample(gen);
  const nf::nas::Evaluation c = cpu.evaluate(g), e = gpu.evaluate(g);
  ASSERT_FALSE(c.failed) << c.reason;
  ASSERT_FALSE(e.failed) << e.reason;
  EXPECT_EQ(e.cost.params, c.cost.params);
  EXPECT_EQ(e.cost.macs, c.cost.macs);
  EXPECT_EQ(e.steps, c.steps);
  EXPECT_GT(e.latency_ms, 0);
  EXPECT_NEAR(e.train_loss, c.train_loss, 1e-3 * (1 + std::abs(c.train_loss)));
  EXPECT_NEAR(e.val_loss, c.val_loss, 1e-3 * (1 + std::abs(c.val_loss)));
  EXPECT_NEAR(e.val_accuracy, c.val_accuracy, 1.0 / 40 + 1e-9);  // one image may flip
}

TEST_F(CudaTrain, DartsEpochCheckpointLoadsOnHost) {
  const fs::path dir = fs::temp_directory_path() / ("nf_cuda_train_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  nf::nas::DartsSearchOptions o;
  o.epochs = 1;
  o.batch_size = 16;
  auto make = [&](Device d) {
    nf::manual_seed(2);
    auto net = std::make_shared<nf::nas::DartsSupernetImpl>(tiny_darts());
    net->to(d);
    return net;
  };
  auto gpu_net = make(kCuda);
  nf::nas::DartsSearch gpu(gpu_net, o, {image_set(48, 9), image_set(48, 10), {}});
  const nf::nas::DartsEpoch e = gpu.run_epoch();
  EXPECT_EQ(e.steps, 3);
  EXPECT_TRUE(std::isfinite(e.train_loss) && std::isfinite(e.val_loss));
  fs::create_directories(dir);
  const std::string ckpt = (dir / "checkpoint.safetensors").string();
  gpu.save(ckpt);

  auto cpu_net = make(Device::cpu());
  nf::nas::DartsSearch cpu(cpu_net, o, {image_set(48, 9), image_set(48, 10), {}});
  cpu.load(ckpt);
  EXPECT_EQ(cpu.epochs_done(), 1);
  expect_same_state(*cpu_net, *gpu_net, 0);  // the same numbers, copied
  fs::remove_all(dir);
}

TEST_F(CudaTrain, MixedDevicesAreRefusedByName) {
  const Tensor a = nf::ones({3, 3}), b = raw::to_device(nf::ones({3, 3}), kCuda);
  try {
    raw::add(a, b);
    ADD_FAILURE() << "expected an error";
  } catch (const nf::Error& err) {
    EXPECT_NE(std::string(err.what()).find("tensors on different devices cpu and cuda:0"), std::string::npos)
        << err.what();
  }
  auto net = nf::nn::Linear(3, 2);
  net->to(kCuda);
  EXPECT_THROW(net->forward(a), nf::Error);
}

}  // namespace
