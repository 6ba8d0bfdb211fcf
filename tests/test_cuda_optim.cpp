// CUDA fused optimizer updates (cuda/kernels/optim.cu) against the CPU
// backend's (tensor/cpu/optim.cpp): several steps of SGD (momentum,
// Nesterov, weight decay) and Adam/AdamW on odd sizes in f32 and f64, then the
// optimizers themselves on CUDA vs CPU parameters, and the device check.
// nvcc may fuse a*b+c into an FMA, so values agree to a few ulps per step:
// rtol 1e-5 / atol 1e-6 in f32, 1e-12 / 1e-14 in f64. Skips without a device.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "autograd/functions.h"
#include "cpu_kernel_check.h"
#include "cuda_parity.h"
#include "nn/optim/adam.h"
#include "nn/optim/sgd.h"
#include "tensor/backend.h"

namespace {

using nf::Tensor;
using nf_test::kCuda;
using nf_test::to_cuda;
namespace raw = nf::raw;

class CudaOptim : public nf_test::CudaDevice {};

nf::FusedBackend& fused_on(nf::Device d) { return *nf::backend_for(d).fused(); }

template <typename T>
void close(const Tensor& got, const Tensor& want, const std::string& what) {
  const bool f64 = std::is_same_v<T, double>;
  nf_test::expect_close(got, want, f64 ? 1e-12 : 1e-5, f64 ? 1e-14 : 1e-6, what);
}

const std::vector<int64_t> kSizes{1, 7, 33, 1023, 100003};

template <typename T>
void sgd_parity(double mom, double wd, bool nesterov) {
  std::mt19937_64 rng(5);
  for (int64_t n : kSizes) {
    const std::string what = "sgd n=" + std::to_string(n) + " mom=" + std::to_string(mom) +
                             " wd=" + std::to_string(wd) + (nesterov ? " nesterov" : "");
    Tensor p = nf::testing::random_tensor<T>({n}, rng), buf = raw::mul_scalar(p, 0.0);
    Tensor p_gpu = to_cuda(p), buf_gpu = to_cuda(buf), none;
    for (int s = 0; s < 4; ++s) {
      const Tensor g = nf::testing::random_tensor<T>({n}, rng, -2.0, 2.0), g_gpu = to_cuda(g);
      fused_on(nf::Device::cpu()).sgd_step(p, g, mom != 0 ? buf : none, 0.05, mom, wd, nesterov);
      fused_on(kCuda).sgd_step(p_gpu, g_gpu, mom != 0 ? buf_gpu : none, 0.05, mom, wd, nesterov);
      close<T>(p_gpu, p, what + " param");
      close<T>(buf_gpu, buf, what + " momentum_buf");
      nf_test::expect_close(g_gpu, g, 0, 0, what + " grad must stay");
    }
  }
}

template <typename T>
void adam_parity(double lr, double wd, bool decoupled) {
  std::mt19937_64 rng(6);
  for (int64_t n : kSizes) {
    const std::string what = std::string(decoupled ? "adamw" : "adam") + " n=" + std::to_string(n) +
                             " wd=" + std::to_string(wd);
    Tensor p = nf::testing::random_tensor<T>({n}, rng), m = raw::mul_scalar(p, 0.0);
    Tensor v = raw::clone(m);
    Tensor p_gpu = to_cuda(p), m_gpu = to_cuda(m), v_gpu = to_cuda(v);
    for (int64_t step = 1; step <= 4; ++step) {
      const Tensor g = nf::testing::random_tensor<T>({n}, rng, -2.0, 2.0), g_gpu = to_cuda(g);
      fused_on(nf::Device::cpu()).adam_step(p, g, m, v, lr, 0.9, 0.999, 1e-8, wd, decoupled, step);
      fused_on(kCuda).adam_step(p_gpu, g_gpu, m_gpu, v_gpu, lr, 0.9, 0.999, 1e-8, wd, decoupled, step);
      close<T>(p_gpu, p, what + " param");
      close<T>(m_gpu, m, what + " exp_avg");
      close<T>(v_gpu, v, what + " exp_avg_sq");
    }
  }
}

TEST_F(CudaOptim, SgdMatchesCpu) {
  for (bool nesterov : {false, true})
    for (double wd : {0.0, 1e-2}) {
      sgd_parity<float>(0.9, wd, nesterov);
      sgd_parity<double>(0.9, wd, nesterov);
    }
  sgd_parity<float>(0.0, 0.0, false);
  sgd_parity<double>(0.0, 5e-4, false);
}

TEST_F(CudaOptim, AdamAndAdamWMatchCpu) {
  for (bool decoupled : {false, true})
    for (double wd : {0.0, 1e-2}) {
      adam_parity<float>(1e-2, wd, decoupled);
      adam_parity<double>(1e-2, wd, decoupled);
    }
}

// The optimizers pick the fused path on both devices: same parameters after
// three steps of the same gradients.
TEST_F(CudaOptim, OptimizersOnCudaMatchCpu) {
  std::mt19937_64 rng(9);
  const Tensor init = nf::testing::random_tensor<float>({17, 5}, rng);
  std::vector<Tensor> grads;
  for (int s = 0; s < 3; ++s) grads.push_back(nf::testing::random_tensor<float>({17, 5}, rng));
  auto run = [&](nf::Device d, int kind) {
    Tensor p = raw::clone(raw::to_device(init, d));
    p.requires_grad_();
    std::unique_ptr<nf::optim::Optimizer> opt;
    if (kind == 0) opt = std::make_unique<nf::optim::SGD>(std::vector<Tensor>{p},
                                                          nf::optim::SGDOptions{0.1, 0.9, 1e-3, true});
    else if (kind == 1) opt = std::make_unique<nf::optim::Adam>(std::vector<Tensor>{p},
                                                                nf::optim::AdamOptions{1e-2, 0.9, 0.999, 1e-8, 1e-2});
    else opt = std::make_unique<nf::optim::AdamW>(std::vector<Tensor>{p}, nf::optim::AdamWOptions{});
    for (const Tensor& g : grads) {
      opt->zero_grad();
      (p * raw::to_device(g, d)).sum().backward();
      opt->step();
    }
    return raw::to_device(p.detach(), nf::Device::cpu());
  };
  for (int kind = 0; kind < 3; ++kind)
    close<float>(run(kCuda, kind), run(nf::Device::cpu(), kind), "optimizer " + std::to_string(kind));
}

TEST_F(CudaOptim, RejectsTensorsOfAnotherDevice) {
  Tensor p = nf::ones({4}, {nf::DType::f32, kCuda}), g_cpu = nf::ones({4});
  Tensor none;
  nf_test::expect_error([&] { fused_on(kCuda).sgd_step(p, g_cpu, none, 0.1, 0.0, 0.0, false); },
                        "cuda sgd_step: tensor on cpu");
}

}  // namespace
