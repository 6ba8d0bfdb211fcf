#include "nas/evaluator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "autograd/grad_mode.h"
#include "data/loader.h"
#include "nas/accuracy.h"
#include "nas/device_batch.h"
#include "nn/loss.h"
#include "nn/optim/lr_scheduler.h"
#include "nn/optim/sgd.h"
#include "tensor/error.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tensor/random.h"

namespace nf::nas {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Thrown inside a trial to end it as failed without treating it as a bug.
struct TrialFailure {
  std::string reason;
};

}  // namespace

Evaluator::Evaluator(const SearchSpace& space, NetworkConfig network, TrialProtocol protocol,
                     Constraints constraints, TrialData data)
    : space_(space),
      network_(std::move(network)),
      protocol_(protocol),
      constraints_(constraints),
      data_(std::move(data)) {
  NF_CHECK(protocol_.epochs >= 1 && protocol_.batch_size >= 1 && protocol_.lr > 0 && protocol_.weight_decay >= 0 &&
               protocol_.grad_clip >= 0 && protocol_.time_limit >= 0 && protocol_.latency_runs >= 0 &&
               protocol_.max_skipped_steps >= 1,
           "evaluator: invalid trial protocol ", nlohmann::json(protocol_).dump());
  NF_CHECK(data_.train && data_.train->size() > 0, "evaluator: the training data is empty");
  NF_CHECK(data_.val && data_.val->size() > 0, "evaluator: the validation data is empty");
}

double measure_latency_ms(nn::Module& net, const std::vector<int64_t>& image_shape, int64_t runs) {
  if (runs <= 0) return 0;
  autograd::NoGradGuard no_grad;
  const bool was_training = net.is_training();
  net.eval();
  Shape shape{1};
  shape.insert(shape.end(), image_shape.begin(), image_shape.end());
  const Tensor x = zeros(shape, {DType::f32, net.device()});
  // A device runs the pass asynchronously: copying the logits back waits for it.
  auto pass = [&] {
    const Tensor out = net.forward(x);
    if (!out.device().is_cpu()) raw::to_device(out, Device::cpu());
  };
  pass();  // warm-up: first-touch allocations
  std::vector<double> ms;
  for (int64_t r = 0; r < runs; ++r) {
    const auto t0 = Clock::now();
    pass();
    ms.push_back(1e3 * seconds_since(t0));
  }
  net.train(was_training);
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

void Evaluator::train(nn::Module& net, Evaluation& out,
                      const std::function<void(const StepProgress&)>& on_step) const {
  const TrialProtocol& p = protocol_;
  const bool full_batches = data_.train->size() >= p.batch_size;  // BN needs more than one row per batch
  data::DataLoader loader(data_.train, {.batch_size = p.batch_size,
                                        .drop_last = full_batches,
                                        .seed = p.seed,
                                        .transform = data_.train_transform});
  const int64_t steps = p.epochs * loader.size();
  const std::vector<Tensor> params = net.parameters();
  optim::SGD opt(params, {.lr = p.lr, .momentum = 0.9, .weight_decay = p.weight_decay, .nesterov = true});
  optim::CosineAnnealingLR schedule(opt, steps);  // indexed by step here, not by epoch
  nn::NonFiniteGuard guard({.policy = p.on_nonfinite, .max_consecutive_skips = p.max_skipped_steps});
  int64_t drawn = 0;  // batches drawn, skipped ones included
  const bool may_skip = p.on_nonfinite == nn::OnNonFinite::skip;
  std::optional<nn::BufferSnapshot> buffers;  // BN running statistics before each step (skip only)
  if (may_skip) buffers.emplace(net);
  const auto t0 = Clock::now();
  net.train();
  for (int64_t epoch = 0; epoch < p.epochs && !out.time_limited; ++epoch) {
    loader.set_epoch(epoch);
    double loss_sum = 0;
    int64_t seen = 0;
    for (auto& batch : loader) {
      const auto [x, y] = to_device(batch, device_);  // made on the host
      // The schedule follows the batches drawn, skipped ones included, so a
      // trial with skips still anneals to 0 over its planned steps; a skipped
      // step takes no SGD step (momentum buffers untouched) and is not in
      // out.steps or in train_loss.
      schedule.set_epoch(drawn++);
      opt.zero_grad();
      if (may_skip) buffers->save();
      Tensor loss = nn::cross_entropy(net.forward(x), y);
      const double l = loss.item();
      auto verdict = guard.check_loss(l);
      if (verdict == nn::NonFiniteGuard::Verdict::step) {
        loss.backward();
        verdict = guard.check_step(l, params, p.grad_clip);  // clips when grad_clip > 0
      }
      if (verdict == nn::NonFiniteGuard::Verdict::fail)
        throw TrialFailure{guard.reason() + " at step " + std::to_string(drawn) + "/" + std::to_string(steps)};
      out.skipped_steps = guard.skipped();
      if (verdict == nn::NonFiniteGuard::Verdict::skip) buffers->restore();
      if (verdict == nn::NonFiniteGuard::Verdict::step) {
        opt.step();
        ++out.steps;
        loss_sum += l * double(y.size(0));
        seen += y.size(0);
      }
      if (on_step) on_step({drawn, steps, l, out.skipped_steps});
      if (p.time_limit > 0 && seconds_since(t0) > p.time_limit) {
        out.time_limited = true;
        break;
      }
    }
    if (seen > 0) out.train_loss = loss_sum / double(seen);
  }
}

Evaluation Evaluator::evaluate(const Genotype& g, const std::function<void(const StepProgress&)>& on_step) const {
  const auto t0 = Clock::now();
  Evaluation out;
  try {
    manual_seed(protocol_.seed);  // the same initial weights for the same genotype, every time
    auto net = space_.build(g, network_);
    out.cost = measure_cost(*net, network_.image_shape);
    net->to(device_);  // before train() builds the optimizer: its state follows the parameters
    out.latency_ms = measure_latency_ms(*net, network_.image_shape, protocol_.latency_runs);
    const Constraints& c = constraints_;
    if (c.max_params > 0 && out.cost.params > c.max_params)
      throw TrialFailure{"params " + std::to_string(out.cost.params) + " exceed the limit " +
                         std::to_string(c.max_params)};
    if (c.max_macs > 0 && out.cost.macs > c.max_macs)
      throw TrialFailure{"MACs " + std::to_string(out.cost.macs) + " exceed the limit " + std::to_string(c.max_macs)};
    if (c.max_latency_ms > 0 && out.latency_ms > c.max_latency_ms)
      throw TrialFailure{"latency " + std::to_string(out.latency_ms) + " ms exceeds the limit " +
                         std::to_string(c.max_latency_ms) + " ms"};
    train(*net, out, on_step);
    const EvalResult val =
        nas::evaluate(*net, data_.val, data_.eval_transform, std::max<int64_t>(protocol_.batch_size, 256));
    if (!std::isfinite(val.loss)) throw TrialFailure{"validation loss is " + std::to_string(val.loss)};
    out.val_accuracy = val.accuracy;
    out.val_loss = val.loss;
  } catch (const TrialFailure& f) {
    out.failed = true;
    out.reason = f.reason;
  } catch (const std::bad_alloc&) {  // from the standard library; nf's allocators throw nf::Error with the size
    out.failed = true;
    out.reason = "out of host memory (std::bad_alloc; the size asked for is not known)";
  } catch (const std::exception& e) {
    out.failed = true;
    out.reason = e.what();
  }
  out.seconds = seconds_since(t0);
  return out;
}

}  // namespace nf::nas
