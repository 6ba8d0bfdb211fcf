// --device for train / eval / search, and the device plumbing underneath it
// (Module::to, optimizer state, batch moves, checkpoints, mismatched devices).
//
// On any machine: the flag's syntax and its one-line errors (a build without
// CUDA, or one without a device), checked before any file is written. The
// plumbing runs on a second device: the real cuda:0 when there is one; in a
// build without CUDA, a stand-in that keeps host memory behind the Backend
// interface and calls itself cuda:0 (HostAsCuda below), so moves, mismatches
// and device-following state are tested everywhere. A CUDA build without a
// device skips those cases. End-to-end CLI runs on a real GPU skip elsewhere.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "autograd/functions.h"
#include "cli_util.h"
#include "nas/accuracy.h"
#include "nas/darts_search.h"
#include "nas/device_batch.h"
#include "nas/evaluator.h"
#include "nas/space.h"
#include "nn/nn.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tools/device_flag.h"

using namespace cli_test;
using json = nlohmann::json;
using nf::Device;
using nf::DType;
using nf::Tensor;
namespace raw = nf::raw;

namespace {

// Host memory behind the Backend interface, reporting itself as cuda:0: every
// method runs the CPU backend's kernel. Registered only in builds without CUDA
// (where nothing else claims DeviceType::cuda).
class HostAsCuda final : public nf::Backend {
 public:
  Device device() const override { return Device::cuda(0); }
  const char* name() const override { return "host-as-cuda (test)"; }
  void* allocate(size_t n) override { return cpu().allocate(n); }
  void deallocate(void* p, size_t n) override { cpu().deallocate(p, n); }
  void copy_from_host(void* d, const void* s, size_t n) override { cpu().copy_from_host(d, s, n); }
  void copy_to_host(void* d, const void* s, size_t n) override { cpu().copy_to_host(d, s, n); }
  void fill(Tensor& out, double v) override { cpu().fill(out, v); }
  void copy(const Tensor& s, Tensor& d) override { cpu().copy(s, d); }
  void unary(nf::UnaryOp op, const Tensor& x, Tensor& out, double a) override { cpu().unary(op, x, out, a); }
  void binary(nf::BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) override { cpu().binary(op, a, b, out); }
  void where(const Tensor& c, const Tensor& a, const Tensor& b, Tensor& out) override { cpu().where(c, a, b, out); }
  void reduce(nf::ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims, Tensor& out) override {
    cpu().reduce(op, x, dims, out);
  }
  void matmul(const Tensor& a, const Tensor& b, Tensor& out) override { cpu().matmul(a, b, out); }
  void random(nf::RandomKind k, Tensor& out, uint64_t seed, uint64_t off, double a, double b) override {
    cpu().random(k, out, seed, off, a, b);
  }
  void index_select(const Tensor& x, int64_t d, const Tensor& i, Tensor& out) override { cpu().index_select(x, d, i, out); }
  void index_add(Tensor& out, int64_t d, const Tensor& i, const Tensor& s) override { cpu().index_add(out, d, i, s); }
  void gather(const Tensor& x, int64_t d, const Tensor& i, Tensor& out) override { cpu().gather(x, d, i, out); }
  void scatter_add(Tensor& out, int64_t d, const Tensor& i, const Tensor& s) override { cpu().scatter_add(out, d, i, s); }
  nf::FusedBackend* fused() override { return cpu().fused(); }

 private:
  static nf::Backend& cpu() { return nf::cpu::cpu_backend(); }
};

nf::Backend* make_host_as_cuda(int index) {
  NF_CHECK(index == 0, "host-as-cuda: only cuda:0 exists, asked for cuda:", index);
  static HostAsCuda backend;
  return &backend;
}

// Whether the real CUDA device is usable (a CUDA build with a GPU).
bool real_cuda_present() {
  if (!nf::tools::build_has_cuda()) return false;
  try {
    nf::tools::check_device_usable("test", Device::cuda(0));
    return true;
  } catch (const nf::Error&) {
    return false;
  }
}

// The second device of the plumbing tests: real or stand-in cuda:0.
class SecondDevice : public testing::Test {
 protected:
  void SetUp() override {
    if (nf::tools::build_has_cuda()) {
      if (!real_cuda_present()) GTEST_SKIP() << "a CUDA build without a usable CUDA device";
    } else {
      static const bool registered = (nf::register_backend(nf::DeviceType::cuda, make_host_as_cuda), true);
      (void)registered;
    }
  }
  const Device dev = Device::cuda(0);
};

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const nf::Error& e) {
    return e.what();
  }
  return "";
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

void expect_near_all(const std::vector<double>& a, const std::vector<double>& b, double tol, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], tol * (1 + std::abs(b[i]))) << what << " [" << i << "]";
}

// --- the flag ---------------------------------------------------------------------

TEST(DeviceFlag, ParsesCpuCudaAndIndex) {
  using nf::tools::parse_device;
  EXPECT_TRUE(parse_device("train", "cpu") == Device::cpu());
  EXPECT_TRUE(parse_device("train", "cuda") == Device::cuda(0));
  EXPECT_TRUE(parse_device("train", "cuda:0") == Device::cuda(0));
  EXPECT_TRUE(parse_device("train", "cuda:3") == Device::cuda(3));
  for (const char* bad : {"gpu", "cuda:", "cuda:x", "cuda:-1", "CUDA", "cuda:1:2", "cuda:99999", ""})
    EXPECT_EQ(error_of([&] { parse_device("eval", bad); }),
              std::string("nasforge eval: --device must be cpu, cuda or cuda:N, got '") + bad + "'");
  EXPECT_NO_THROW(nf::tools::check_device_usable("train", Device::cpu()));
}

// The one-line reason why cuda cannot be used here, or "" when it can.
std::string expected_cuda_error(const std::string& command) {
  if (!nf::tools::build_has_cuda())
    return "nasforge " + command + ": --device cuda:0: this build has no CUDA backend";
  if (!real_cuda_present()) return "nasforge " + command + ": --device cuda:0: no CUDA device (cudaGetDeviceCount: ";
  return "";
}

class CliDevice : public testing::Test {
 protected:
  void SetUp() override { write_synthetic(data.path); }
  TempDir data, runs;
};

TEST_F(CliDevice, UnusableCudaIsOneLineBeforeAnyFile) {
  const std::string want = expected_cuda_error("train");
  if (want.empty()) GTEST_SKIP() << "a CUDA device is present: CliDevice.*OnGpu cover it";
  const fs::path out = runs.path / "run";
  Outcome train = run(nf::tools::cmd_train, "train",
                      {"--data-dir", data.path.string(), "--out", out.string(), "--device", "cuda"});
  EXPECT_NE(train.error.find(want), std::string::npos) << train.error;
  EXPECT_EQ(train.error.find('\n'), std::string::npos) << train.error;
  EXPECT_FALSE(fs::exists(out));

  Outcome search = run(nf::tools::cmd_search, "search",
                       {"--data-dir", data.path.string(), "--out", out.string(), "--device", "cuda:0"});
  EXPECT_NE(search.error.find(expected_cuda_error("search")), std::string::npos) << search.error;
  EXPECT_FALSE(fs::exists(out));
  Outcome darts = run(nf::tools::cmd_search, "search",
                      {"--strategy", "darts", "--data-dir", data.path.string(), "--out", out.string(), "--device",
                       "cuda"});
  EXPECT_NE(darts.error.find(expected_cuda_error("search")), std::string::npos) << darts.error;
  EXPECT_FALSE(fs::exists(out));

  // eval: a real CPU run first, then its checkpoint asked onto cuda.
  ASSERT_EQ(run(nf::tools::cmd_train, "train",
                {"--model", "mlp", "--data-dir", data.path.string(), "--epochs", "1", "--limit", "64", "--out",
                 out.string(), "--device", "cpu"})
                .rc,
            0);
  Outcome eval = run(nf::tools::cmd_eval, "eval", {"--checkpoint", out.string(), "--device", "cuda"});
  EXPECT_NE(eval.error.find(expected_cuda_error("eval")), std::string::npos) << eval.error;
}

TEST_F(CliDevice, BadSpellingAndTyposComeFirst) {
  const fs::path out = runs.path / "run";
  Outcome bad = run(nf::tools::cmd_train, "train", {"--data-dir", data.path.string(), "--out", out.string(),
                                                    "--device", "gpu"});
  EXPECT_EQ(bad.error, "nasforge train: --device must be cpu, cuda or cuda:N, got 'gpu'");
  // An unknown flag is reported before the device is looked at.
  Outcome typo = run(nf::tools::cmd_train, "train",
                     {"--data-dir", data.path.string(), "--out", out.string(), "--device", "cuda", "--epoch", "1"});
  EXPECT_NE(typo.error.find("unknown flag --epoch"), std::string::npos) << typo.error;
  // The help texts name the flag.
  using Command = int (*)(nf::tools::Flags&);
  const std::vector<std::pair<Command, std::string>> commands = {
      {nf::tools::cmd_train, "train"}, {nf::tools::cmd_eval, "eval"}, {nf::tools::cmd_search, "search"}};
  for (const auto& [cmd, name] : commands) {
    Outcome help = run(cmd, name, {"--help"});
    EXPECT_NE(help.out.find("--device cpu|cuda[:N]"), std::string::npos) << name;
  }
  Outcome darts_help = run(nf::tools::cmd_search, "search", {"--strategy", "darts", "--help"});
  EXPECT_NE(darts_help.out.find("--device cpu|cuda[:N]"), std::string::npos);
}

// --- plumbing on the second device ------------------------------------------------------

TEST_F(SecondDevice, MismatchedDevicesNameBoth) {
  Tensor a = nf::ones({2, 3});
  Tensor b = raw::to_device(nf::ones({2, 3}), dev);
  EXPECT_NE(error_of([&] { raw::add(a, b); }).find("tensors on different devices cpu and cuda:0"), std::string::npos)
      << error_of([&] { raw::add(a, b); });
  EXPECT_NE(error_of([&] { raw::matmul(a, raw::transpose(b, 0, 1)); }).find("matmul: tensors on different devices"),
            std::string::npos);
  EXPECT_NE(error_of([&] { raw::copy_(b, a); }).find("copy_: tensors on different devices"), std::string::npos);
  // The differentiable front end goes through the same check.
  Tensor w = raw::to_device(nf::ones({3, 3}), dev).requires_grad_();
  EXPECT_NE(error_of([&] { nf::matmul(a, w); }).find("different devices"), std::string::npos);
  // A model half moved is refused by name.
  auto net = nf::nn::Sequential(nf::nn::Linear(3, 4), nf::nn::Linear(4, 2));
  net->children()[1]->to(dev);
  EXPECT_NE(error_of([&] { net->device(); }).find("'0.weight' on cpu, '1.weight' on cuda:0"), std::string::npos)
      << error_of([&] { net->device(); });
}

TEST_F(SecondDevice, ModuleMovesStateAndOptimizersFollow) {
  // conv - BN - ReLU - pool - linear: x [16,1,5,5] -> logits [16,3]
  auto make = [] {
    nf::manual_seed(5);
    return nf::nn::Sequential(nf::nn::Conv2d(1, 4, 3, {.padding = 1}), nf::nn::BatchNorm2d(4), nf::nn::ReLU(),
                              nf::nn::GlobalAvgPool(), nf::nn::Linear(4, 3));
  };
  auto cpu_net = make(), dev_net = make();
  EXPECT_TRUE(dev_net->device() == Device::cpu());
  dev_net->to(dev);
  EXPECT_TRUE(dev_net->device() == dev);
  for (const auto& [name, t] : dev_net->named_state()) EXPECT_TRUE(t.device() == dev) << name;

  nf::optim::Adam cpu_opt(cpu_net->parameters(), {.lr = 0.01, .weight_decay = 0.01});
  nf::optim::Adam dev_opt(dev_net->parameters(), {.lr = 0.01, .weight_decay = 0.01});
  for (const auto& [name, t] : dev_opt.state_tensors()) EXPECT_TRUE(t.device() == dev) << name;
  nf::optim::SGD sgd(dev_net->parameters(), {.lr = 0.1, .momentum = 0.9});
  for (const auto& [name, t] : sgd.state_tensors()) EXPECT_TRUE(t.device() == dev) << name;

  nf::Generator gen(11);
  const Tensor x = nf::randn({16, 1, 5, 5}, {}, &gen);
  const Tensor y = nf::randint(3, {16}, Device::cpu(), &gen);
  for (int step = 0; step < 3; ++step) {
    cpu_opt.zero_grad();
    dev_opt.zero_grad();
    Tensor lc = nf::nn::cross_entropy(cpu_net->forward(x), y);
    const nf::data::Batch moved = nf::nas::to_device({x, y}, dev);
    EXPECT_TRUE(moved.images.device() == dev && moved.labels.device() == dev);
    Tensor ld = nf::nn::cross_entropy(dev_net->forward(moved.images), moved.labels);
    EXPECT_TRUE(ld.device() == dev);
    EXPECT_NEAR(ld.item(), lc.item(), 1e-4);
    lc.backward();
    ld.backward();
    for (const Tensor& p : dev_net->parameters()) EXPECT_TRUE(p.grad().device() == dev);
    cpu_opt.step();
    dev_opt.step();
  }
  const auto cs = cpu_net->named_state(), ds = dev_net->named_state();
  for (size_t i = 0; i < cs.size(); ++i) expect_near_all(values(ds[i].second), values(cs[i].second), 1e-4, cs[i].first);

  // Back to the host, gradients included.
  dev_net->to(Device::cpu());
  for (const Tensor& p : dev_net->parameters()) {
    EXPECT_TRUE(p.device() == Device::cpu());
    EXPECT_TRUE(p.grad().device() == Device::cpu());
  }
}

TEST_F(SecondDevice, CheckpointsCrossDevices) {
  const TempDir dir;
  const std::string path = (dir.path / "ckpt.safetensors").string();
  nf::manual_seed(2);
  auto net = nf::nn::Sequential(nf::nn::Conv2d(1, 3, 3), nf::nn::BatchNorm2d(3), nf::nn::GlobalAvgPool(), nf::nn::Linear(3, 2));
  net->to(dev);
  nf::optim::SGD opt(net->parameters(), {.lr = 0.1, .momentum = 0.9});
  Tensor loss = nf::nn::cross_entropy(net->forward(raw::to_device(nf::randn({8, 1, 4, 4}), dev)),
                                      raw::to_device(nf::from_vector<int64_t>({0, 1, 0, 1, 1, 0, 0, 1}, {8}), dev));
  loss.backward();
  opt.step();
  nf::nn::save_state(path, *net, &opt, {{"epoch", "1"}});  // from the device

  // Loaded onto the host...
  nf::manual_seed(9);
  auto host = nf::nn::Sequential(nf::nn::Conv2d(1, 3, 3), nf::nn::BatchNorm2d(3), nf::nn::GlobalAvgPool(), nf::nn::Linear(3, 2));
  nf::optim::SGD host_opt(host->parameters(), {.lr = 0.1, .momentum = 0.9});
  EXPECT_EQ(nf::nn::load_state(path, *host, &host_opt).at("epoch"), "1");
  // ...and onto the device again.
  nf::manual_seed(13);
  auto back = nf::nn::Sequential(nf::nn::Conv2d(1, 3, 3), nf::nn::BatchNorm2d(3), nf::nn::GlobalAvgPool(), nf::nn::Linear(3, 2));
  back->to(dev);
  nf::optim::SGD back_opt(back->parameters(), {.lr = 0.1, .momentum = 0.9});
  nf::nn::load_state(path, *back, &back_opt);
  const auto want = net->named_state(), got_host = host->named_state(), got_back = back->named_state();
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_TRUE(got_host[i].second.device() == Device::cpu());
    EXPECT_TRUE(got_back[i].second.device() == dev);
    EXPECT_EQ(values(got_host[i].second), values(want[i].second)) << want[i].first;
    EXPECT_EQ(values(got_back[i].second), values(want[i].second)) << want[i].first;
  }
  const auto ws = opt.state_tensors(), bs = back_opt.state_tensors(), hs = host_opt.state_tensors();
  for (size_t i = 0; i < ws.size(); ++i) {
    EXPECT_TRUE(bs[i].second.device() == dev);
    EXPECT_EQ(values(bs[i].second), values(ws[i].second)) << ws[i].first;
    EXPECT_EQ(values(hs[i].second), values(ws[i].second)) << ws[i].first;
  }
}

TEST_F(SecondDevice, EvaluateMovesHostBatches) {
  // A data set of 10 images [1,2,2] whose label is the brightest pixel's index mod 2.
  std::vector<float> pixels(40);
  std::vector<int64_t> labels(10);
  for (int i = 0; i < 10; ++i) {
    for (int p = 0; p < 4; ++p) pixels[size_t(i * 4 + p)] = float((i * 7 + p * 3) % 5);
    labels[size_t(i)] = i % 2;
  }
  auto set = std::make_shared<nf::data::TensorDataset>(nf::from_vector(pixels, {10, 1, 2, 2}),
                                                       nf::from_vector(labels, {10}), 2);
  nf::manual_seed(4);
  auto net = nf::nn::Sequential(nf::nn::Flatten(), nf::nn::Linear(4, 2));
  const nf::nas::EvalResult on_cpu = nf::nas::evaluate(*net, set, {}, 3);
  net->to(dev);
  const nf::nas::EvalResult on_dev = nf::nas::evaluate(*net, set, {}, 3);
  EXPECT_EQ(on_dev.count, 10);
  EXPECT_EQ(on_dev.accuracy, on_cpu.accuracy);
  EXPECT_NEAR(on_dev.loss, on_cpu.loss, 1e-5);
}

// A labelled image set [n,1,8,8] whose label sets a bright row.
std::shared_ptr<nf::data::TensorDataset> image_set(int64_t n, uint64_t seed) {
  nf::Generator gen(seed);
  Tensor images = nf::rand({n, 1, 8, 8}, {}, &gen);
  Tensor labels = nf::randint(4, {n}, Device::cpu(), &gen);
  const std::vector<int64_t> l = labels.to_vector<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    raw::fill_(raw::select(raw::select(raw::select(images, 0, i), 0, 0), 0, 2 * l[size_t(i)]), 1.0);
  return std::make_shared<nf::data::TensorDataset>(images, labels, 4);
}

// A NAS trial (nas/evaluator.h) and a DARTS epoch (nas/darts_search.h) on the
// device: everything they make must live there (a stray host tensor throws),
// and the numbers match the host run (exactly, with the stand-in).
TEST_F(SecondDevice, TrialAndDartsEpochRunOnTheDevice) {
  const auto space = nf::nas::make_space({{"space", "nb201"}});
  nf::nas::NetworkConfig network;
  network.image_shape = {1, 8, 8};
  network.num_classes = 4;
  network.channels = 4;
  nf::nas::TrialProtocol protocol;
  protocol.batch_size = 16;
  protocol.latency_runs = 1;
  const nf::nas::TrialData data{image_set(48, 1), image_set(20, 2), {}, {}};
  nf::nas::Evaluator host(*space, network, protocol, {}, data), on_dev(*space, network, protocol, {}, data);
  on_dev.set_device(dev);
  EXPECT_TRUE(on_dev.device() == dev);
  nf::Generator gen(3);
  const nf::nas::Genotype g = space->sample(gen);
  const nf::nas::Evaluation h = host.evaluate(g), d = on_dev.evaluate(g);
  ASSERT_FALSE(h.failed) << h.reason;
  ASSERT_FALSE(d.failed) << d.reason;
  EXPECT_EQ(d.steps, 3);
  EXPECT_EQ(d.cost.params, h.cost.params);
  EXPECT_NEAR(d.train_loss, h.train_loss, 1e-3 * (1 + std::abs(h.train_loss)));
  EXPECT_NEAR(d.val_loss, h.val_loss, 1e-3 * (1 + std::abs(h.val_loss)));

  nf::nas::NetworkConfig tiny = network;
  tiny.channels = 2;
  tiny.cells = 2;
  nf::nas::DartsSearchOptions o;
  o.epochs = 1;
  o.batch_size = 8;
  auto run_epoch = [&](Device where) {
    nf::manual_seed(4);
    auto net = nf::nas::make_supernet({{"space", "darts"}}, tiny);
    net->to(where);
    nf::nas::DartsSearch search(net, o, {image_set(16, 5), image_set(16, 6), {}});
    const nf::nas::DartsEpoch e = search.run_epoch();
    EXPECT_EQ(e.steps, 2);
    for (const Tensor& a : net->arch_parameters()) EXPECT_TRUE(a.device() == where);
    std::vector<double> alphas;
    for (const Tensor& a : net->arch_parameters())
      for (double v : values(a)) alphas.push_back(v);
    return alphas;
  };
  expect_near_all(run_epoch(dev), run_epoch(Device::cpu()), 1e-3, "alphas after one DARTS epoch");
}

// --- end to end on a real GPU (skipped elsewhere) ------------------------------------------

class CliDeviceOnGpu : public CliDevice {
 protected:
  void SetUp() override {
    if (!real_cuda_present()) GTEST_SKIP() << "no usable CUDA device";
    CliDevice::SetUp();
  }
};

TEST_F(CliDeviceOnGpu, TrainEvalAndResumeAcrossDevices) {
  const fs::path gpu = runs.path / "gpu", cpu = runs.path / "cpu";
  auto args = [&](const fs::path& out, const char* device) {
    return std::vector<std::string>{"--model", "cnn", "--data-dir", data.path.string(), "--epochs", "2",
                                    "--batch-size", "32", "--lr", "0.05", "--seed", "1", "--out", out.string(),
                                    "--device", device};
  };
  Outcome g = run(nf::tools::cmd_train, "train", args(gpu, "cuda"));
  ASSERT_EQ(g.rc, 0) << g.error;
  EXPECT_NE(g.out.find("device: cuda:0"), std::string::npos);
  Outcome c = run(nf::tools::cmd_train, "train", args(cpu, "cpu"));
  ASSERT_EQ(c.rc, 0) << c.error;
  const auto last_acc = [](const fs::path& dir) {
    std::ifstream in(dir / "metrics.jsonl");
    json last;
    for (std::string line; std::getline(in, line);) last = json::parse(line);
    return last.at("test_acc").get<double>();
  };
  // Same seed, same batches: the two devices differ only by float rounding.
  EXPECT_GT(last_acc(gpu), 0.8);
  EXPECT_NEAR(last_acc(gpu), last_acc(cpu), 0.05);
  // A GPU checkpoint evaluates on either device alike; a resume may change device.
  Outcome on_gpu = run(nf::tools::cmd_eval, "eval", {"--checkpoint", gpu.string(), "--device", "cuda"});
  Outcome on_cpu = run(nf::tools::cmd_eval, "eval", {"--checkpoint", gpu.string()});
  ASSERT_EQ(on_gpu.rc, 0) << on_gpu.error;
  ASSERT_EQ(on_cpu.rc, 0) << on_cpu.error;
  EXPECT_EQ(on_gpu.out.substr(0, on_gpu.out.find("(loss")), on_cpu.out.substr(0, on_cpu.out.find("(loss")));
  Outcome more = run(nf::tools::cmd_train, "train", {"--out", gpu.string(), "--resume", "--epochs", "3"});
  ASSERT_EQ(more.rc, 0) << more.error;
  EXPECT_EQ(count_lines(gpu / "metrics.jsonl"), 3u);
}

TEST_F(CliDeviceOnGpu, SearchesRunOnTheDevice) {
  const fs::path multi = runs.path / "multi", darts = runs.path / "darts";
  Outcome m = run(nf::tools::cmd_search, "search",
                  {"--space", "nb201", "--strategy", "random", "--channels", "4", "--budget", "2", "--train-examples",
                   "160", "--val-examples", "100", "--batch-size", "32", "--data-dir", data.path.string(), "--out",
                   multi.string(), "--device", "cuda"});
  ASSERT_EQ(m.rc, 0) << m.error;
  std::ifstream trials(multi / "trials.jsonl");
  int ok = 0;
  for (std::string line; std::getline(trials, line);) ok += !json::parse(line).value("failed", false);
  EXPECT_EQ(ok, 2);

  Outcome d = run(nf::tools::cmd_search, "search",
                  {"--strategy", "darts", "--space", "darts", "--channels", "2", "--cells", "2", "--epochs", "1",
                   "--batch-size", "16", "--train-examples", "96", "--data-dir", data.path.string(), "--out",
                   darts.string(), "--device", "cuda"});
  ASSERT_EQ(d.rc, 0) << d.error;
  EXPECT_EQ(count_lines(darts / "genotypes.jsonl"), 1u);
  // The checkpoint written from the GPU resumes on the CPU.
  Outcome resumed = run(nf::tools::cmd_search, "search", {"--resume", darts.string(), "--epochs", "2"});
  ASSERT_EQ(resumed.rc, 0) << resumed.error;
  EXPECT_EQ(count_lines(darts / "genotypes.jsonl"), 2u);
}

}  // namespace
