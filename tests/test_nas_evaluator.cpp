// Trial evaluation (nas/evaluator.h) on a tiny learnable task: 8x8 images whose
// class (of 4) is the quadrant holding a bright square, so any network that
// trains at all beats chance by far.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "nas/evaluator.h"
#include "nas/space.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/error.h"
#include "tensor/factory.h"
#include "tensor/random.h"

using namespace nf;
using namespace nf::nas;

namespace {

std::shared_ptr<data::TensorDataset> quadrants(int64_t n, uint64_t seed) {
  Generator gen(seed);
  Tensor images = zeros({n, 1, 8, 8});
  Tensor labels = zeros({n}, {.dtype = DType::i64});
  float* x = images.data<float>();
  int64_t* y = labels.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t q = i % 4, r0 = (q / 2) * 4, c0 = (q % 2) * 4;
    y[i] = q;
    for (int64_t p = 0; p < 64; ++p) x[i * 64 + p] = float(0.3 * gen.normal());
    for (int64_t r = r0; r < r0 + 3; ++r)
      for (int64_t c = c0; c < c0 + 3; ++c) x[i * 64 + r * 8 + c] += 2.0f;
  }
  return std::make_shared<data::TensorDataset>(images, labels, 4);
}

NetworkConfig tiny_network() {
  NetworkConfig c;
  c.image_shape = {1, 8, 8};
  c.num_classes = 4;
  c.channels = 4;
  return c;
}

// |nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|skip_connect~1|nor_conv_3x3~2|
Genotype conv_cell() {
  Nb201Genotype g;
  g.ops = {Nb201Op::nor_conv_3x3, Nb201Op::nor_conv_3x3, Nb201Op::skip_connect,
           Nb201Op::skip_connect, Nb201Op::skip_connect, Nb201Op::nor_conv_3x3};
  return g;
}

// The message of the nf::Error that fn throws ("<no error>" if none).
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const nf::Error& e) {
    return e.what();
  }
  return "<no error>";
}

struct Fixture {
  std::unique_ptr<SearchSpace> space = make_space({{"space", "nb201"}});
  TrialData data{quadrants(192, 1), quadrants(64, 2), {}, {}};
};

}  // namespace

TEST(Evaluator, TrainsACandidateWellAboveChanceAndMeasuresIt) {
  Fixture f;
  TrialProtocol p;
  p.epochs = 3;
  p.batch_size = 32;
  Evaluator ev(*f.space, tiny_network(), p, {}, f.data);
  int64_t last_step = 0, planned = 0;
  const Evaluation e = ev.evaluate(conv_cell(), [&](const StepProgress& s) {
    EXPECT_EQ(s.step, last_step + 1);
    last_step = s.step;
    planned = s.steps;
  });
  ASSERT_FALSE(e.failed) << e.reason;
  EXPECT_EQ(e.steps, 3 * (192 / 32));
  EXPECT_EQ(last_step, e.steps);
  EXPECT_EQ(planned, e.steps);
  EXPECT_GT(e.val_accuracy, 0.6);  // chance is 0.25
  EXPECT_TRUE(std::isfinite(e.val_loss) && std::isfinite(e.train_loss));
  const Cost c = f.space->cost(conv_cell(), tiny_network());
  EXPECT_EQ(e.cost.params, c.params);
  EXPECT_EQ(e.cost.macs, c.macs);
  EXPECT_GT(e.latency_ms, 0.0);
  EXPECT_GT(e.seconds, 0.0);
  EXPECT_FALSE(e.time_limited);

  // Same protocol and seed: the same result, bit for bit.
  const Evaluation again = ev.evaluate(conv_cell());
  EXPECT_EQ(again.val_accuracy, e.val_accuracy);
  EXPECT_EQ(again.train_loss, e.train_loss);
}

TEST(Evaluator, DivergenceIsAFailedTrialNamingTheStep) {
  Fixture f;
  TrialProtocol p;
  p.lr = 1e8;
  p.grad_clip = 0;
  p.batch_size = 32;
  Evaluator ev(*f.space, tiny_network(), p, {}, f.data);
  const Evaluation e = ev.evaluate(conv_cell());
  ASSERT_TRUE(e.failed);
  EXPECT_NE(e.reason.find("loss became"), std::string::npos) << e.reason;
  EXPECT_NE(e.reason.find("at step"), std::string::npos) << e.reason;
}

TEST(Evaluator, DivergenceUnderSkipFailsAfterTheConsecutiveLimit) {
  Fixture f;
  TrialProtocol p;
  p.lr = 1e8;
  p.grad_clip = 0;
  p.batch_size = 32;
  p.epochs = 3;
  p.on_nonfinite = nn::OnNonFinite::skip;
  p.max_skipped_steps = 3;
  Evaluator ev(*f.space, tiny_network(), p, {}, f.data);
  const Evaluation e = ev.evaluate(conv_cell());
  ASSERT_TRUE(e.failed);
  EXPECT_NE(e.reason.find("training diverged: 4 non-finite steps in a row"), std::string::npos) << e.reason;
  EXPECT_NE(e.reason.find("at step"), std::string::npos) << e.reason;
  EXPECT_GE(e.skipped_steps, 3);
}

// Non-finite inputs in a few batches: skip trains past them (no SGD step, the
// BatchNorm statistics of that batch undone) and validates; fail stops there.
TEST(Evaluator, NaNBatchesAreSkippedUnderSkipAndFailTheTrialUnderFail) {
  auto train = quadrants(192, 1);
  train->images().data<float>()[5 * 64 + 7] = std::numeric_limits<float>::quiet_NaN();  // one image: one batch an epoch
  const TrialData data{train, quadrants(64, 2), {}, {}};
  auto space = make_space({{"space", "nb201"}});
  TrialProtocol p;
  p.epochs = 3;
  p.batch_size = 32;
  p.on_nonfinite = nn::OnNonFinite::skip;
  int64_t last_step = 0, planned = 0, skipped_seen = 0;
  const Evaluation e = Evaluator(*space, tiny_network(), p, {}, data).evaluate(conv_cell(), [&](const StepProgress& s) {
    last_step = s.step;
    planned = s.steps;
    skipped_seen = s.skipped;
  });
  ASSERT_FALSE(e.failed) << e.reason;
  EXPECT_EQ(e.skipped_steps, 3);
  EXPECT_EQ(e.steps, 3 * 6 - 3);
  EXPECT_EQ(last_step, 3 * 6);  // progress and the lr schedule count every batch drawn
  EXPECT_EQ(planned, 3 * 6);
  EXPECT_EQ(skipped_seen, 3);
  EXPECT_TRUE(std::isfinite(e.val_loss) && std::isfinite(e.train_loss));
  EXPECT_GT(e.val_accuracy, 0.5);  // chance is 0.25
  EXPECT_EQ(nlohmann::json(e)["skipped_steps"], 3);

  p.on_nonfinite = nn::OnNonFinite::fail;
  const Evaluation f = Evaluator(*space, tiny_network(), p, {}, data).evaluate(conv_cell());
  ASSERT_TRUE(f.failed);
  EXPECT_EQ(f.reason.rfind("loss became nan at step ", 0), 0u) << f.reason;
  EXPECT_EQ(f.skipped_steps, 0);
  EXPECT_LE(f.steps, 5);  // it stopped within the first epoch
}

// An allocation the host cannot serve is a failed trial whose reason says how
// much was asked for (nf::Error from the CPU allocator), never a crash.
TEST(Evaluator, OutOfHostMemoryIsAFailedTrialNamingTheSize) {
  EXPECT_EQ(error_of([] { nf::cpu::cpu_backend().allocate(size_t(1) << 62); }),
            "cpu allocate: out of host memory asking for 4 EiB (4611686018427387904 bytes)");
  EXPECT_EQ(error_of([] { nf::cpu::cpu_backend().allocate(size_t(3) << 59); }),
            "cpu allocate: out of host memory asking for 1.5 EiB (1729382256910270464 bytes)");
  EXPECT_NE(error_of([] { (void)empty({int64_t(1) << 60}); }).find("asking for 4 EiB"), std::string::npos);

  Fixture f;
  f.data.train_transform = [](const Tensor& x, Generator&) {
    (void)empty({int64_t(1) << 60});  // 2^62 bytes of f32
    return x;
  };
  const Evaluation e = Evaluator(*f.space, tiny_network(), {.batch_size = 32}, {}, f.data).evaluate(conv_cell());
  ASSERT_TRUE(e.failed);
  EXPECT_NE(e.reason.find("out of host memory asking for 4 EiB (4611686018427387904 bytes)"), std::string::npos)
      << e.reason;
}

TEST(Evaluator, ConstraintsFailACandidateBeforeTraining) {
  Fixture f;
  const Cost c = f.space->cost(conv_cell(), tiny_network());
  for (Constraints limits : {Constraints{.max_params = c.params - 1}, Constraints{.max_macs = c.macs - 1},
                             Constraints{.max_latency_ms = 1e-9}}) {
    Evaluator ev(*f.space, tiny_network(), {}, limits, f.data);
    const Evaluation e = ev.evaluate(conv_cell());
    EXPECT_TRUE(e.failed);
    EXPECT_EQ(e.steps, 0);
    EXPECT_NE(e.reason.find("exceed"), std::string::npos) << e.reason;
  }
  Evaluator roomy(*f.space, tiny_network(), {.batch_size = 32}, {.max_params = c.params, .max_macs = c.macs}, f.data);
  EXPECT_FALSE(roomy.evaluate(conv_cell()).failed);
}

TEST(Evaluator, TimeLimitStopsTrainingAndStillValidates) {
  Fixture f;
  TrialProtocol p;
  p.epochs = 1000;
  p.batch_size = 32;
  p.time_limit = 0.2;
  Evaluator ev(*f.space, tiny_network(), p, {}, f.data);
  const Evaluation e = ev.evaluate(conv_cell());
  ASSERT_FALSE(e.failed) << e.reason;
  EXPECT_TRUE(e.time_limited);
  EXPECT_LT(e.steps, 1000 * 6);
  EXPECT_GT(e.steps, 0);
}

TEST(Evaluator, BuildErrorsAndBadSetupsAreReported) {
  Fixture f;
  Evaluator ev(*f.space, tiny_network(), {}, {}, f.data);
  const Evaluation e = ev.evaluate(MacroGenotype{{MacroLayer{}}});
  EXPECT_TRUE(e.failed);
  EXPECT_NE(e.reason.find("macro"), std::string::npos) << e.reason;
  EXPECT_THROW(Evaluator(*f.space, tiny_network(), {.epochs = 0}, {}, f.data), nf::Error);
  EXPECT_THROW(Evaluator(*f.space, tiny_network(), {}, {}, TrialData{f.data.train, nullptr, {}, {}}), nf::Error);
}

TEST(Evaluator, JsonFormsRoundTrip) {
  TrialProtocol p{.epochs = 2, .batch_size = 64, .lr = 0.1, .time_limit = 30, .seed = 9};
  EXPECT_EQ(nlohmann::json(nlohmann::json(p).get<TrialProtocol>()), nlohmann::json(p));
  Constraints c{.max_params = 100, .max_latency_ms = 2.5};
  EXPECT_EQ(nlohmann::json(nlohmann::json(c).get<Constraints>()), nlohmann::json(c));
  EXPECT_THROW((void)nlohmann::json({{"epochs", "two"}}).get<TrialProtocol>(), nf::Error);
  // The NaN/Inf policy: stored by name; configs written before it existed mean fail.
  TrialProtocol skip{.on_nonfinite = nn::OnNonFinite::skip, .max_skipped_steps = 4};
  EXPECT_EQ(nlohmann::json(skip)["on_nonfinite"], "skip");
  const TrialProtocol back = nlohmann::json(skip).get<TrialProtocol>();
  EXPECT_EQ(back.on_nonfinite, nn::OnNonFinite::skip);
  EXPECT_EQ(back.max_skipped_steps, 4);
  nlohmann::json old = nlohmann::json(p);
  old.erase("on_nonfinite");
  old.erase("max_skipped_steps");
  EXPECT_EQ(old.get<TrialProtocol>().on_nonfinite, nn::OnNonFinite::fail);
  EXPECT_EQ(old.get<TrialProtocol>().max_skipped_steps, 10);
  EXPECT_EQ(error_of([] { (void)nlohmann::json({{"on_nonfinite", "ignore"}}).get<TrialProtocol>(); }),
            "trial protocol JSON: on_nonfinite must be fail or skip, got 'ignore'");
  Evaluation ev;
  ev.steps = 7;
  ev.skipped_steps = 2;
  EXPECT_EQ(nlohmann::json(ev).get<Evaluation>().skipped_steps, 2);
  EXPECT_EQ(nlohmann::json({{"steps", 3}}).get<Evaluation>().skipped_steps, 0);  // older trials.jsonl lines
  NetworkConfig n = tiny_network();
  EXPECT_EQ(nlohmann::json(n).get<NetworkConfig>(), n);
  EXPECT_THROW((void)nlohmann::json({{"channels", 0}}).get<NetworkConfig>(), nf::Error);
  EXPECT_THROW((void)nlohmann::json({{"colour", 1}}).get<NetworkConfig>(), nf::Error);
}
