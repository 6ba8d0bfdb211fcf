// Trial evaluation: trains one candidate from scratch under a small budget and
// measures it. The candidate is trained on a training subset and scored on a
// held-out validation split of the training set, never on the test set (that
// stays for the final retrain, `nasforge train --genotype`).
//
// Every trial trains with the same protocol and seed (same initial weights for
// the same genotype, same batch order), so results are comparable, repeatable
// and cacheable by genotype hash (nas/search.h).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "data/dataset.h"
#include "data/transforms.h"
#include "nas/network.h"
#include "nas/space.h"
#include "nn/nonfinite.h"

namespace nf::nas {

// The training protocol of one trial: SGD with Nesterov momentum 0.9, the
// learning rate cosine-annealed to 0 over all steps (per step, so a one-epoch
// trial anneals too), gradient-norm clipping as in DARTS. A non-finite step
// (NaN/Inf loss or gradients, nn/nonfinite.h) fails the trial, or under
// OnNonFinite::skip is skipped (no SGD step) until max_skipped_steps in a row.
struct TrialProtocol {
  int64_t epochs = 1;
  int64_t batch_size = 128;
  double lr = 0.1;
  double weight_decay = 3e-4;
  double grad_clip = 5;      // max gradient norm; 0: none
  double time_limit = 0;     // seconds of training per trial; 0: none. At the limit
                             // training stops and the network is validated as it is.
  uint64_t seed = 0;         // initial weights and batch order of every trial
  int64_t latency_runs = 5;  // batch-1 forward passes timed (median); 0: skip
  nn::OnNonFinite on_nonfinite = nn::OnNonFinite::fail;  // a NaN/Inf step: fail the trial or skip the step
  int64_t max_skipped_steps = 10;  // under skip: one more non-finite step in a row fails the trial (>= 1)
};

// Limits a candidate must meet; 0 means no limit. A candidate over a limit is
// a failed trial (with the reason) and is not trained.
struct Constraints {
  int64_t max_params = 0;
  int64_t max_macs = 0;
  double max_latency_ms = 0;
};

// What one trial measured.
struct Evaluation {
  double val_accuracy = 0;  // the objective
  double val_loss = 0;
  double train_loss = 0;    // mean over the last epoch trained
  Cost cost;
  double latency_ms = 0;    // median batch-1 forward time in eval mode, this machine
  double seconds = 0;       // wall time of the whole trial
  int64_t steps = 0;        // SGD steps taken (skipped steps excluded)
  int64_t skipped_steps = 0;  // non-finite steps skipped (TrialProtocol::on_nonfinite skip)
  bool time_limited = false;  // training stopped at TrialProtocol::time_limit
  bool failed = false;
  std::string reason;       // why it failed
};

// What one training step reports (for progress displays).
struct StepProgress {
  int64_t step = 0, steps = 0;  // 1-based step (batch drawn, skipped ones included), steps planned
  double loss = 0;              // non-finite on a skipped step
  int64_t skipped = 0;          // steps skipped so far
};

struct TrialData {
  std::shared_ptr<const data::Dataset> train, val;
  data::Transform train_transform, eval_transform;  // per-batch transforms (empty: none)
};

class Evaluator {
 public:
  // Throws nf::Error on an invalid protocol or empty data.
  Evaluator(const SearchSpace& space, NetworkConfig network, TrialProtocol protocol, Constraints constraints,
            TrialData data);

  // Never throws for a bad candidate: a build error, an exception while training
  // (out of memory included: the reason says how much was asked for when the
  // allocator knows), a non-finite step under OnNonFinite::fail or too many in
  // a row under skip make a failed Evaluation with the reason.
  Evaluation evaluate(const Genotype& g, const std::function<void(const StepProgress&)>& on_step = {}) const;

  // Where candidates train, measure latency and validate (default cpu); the
  // cost (params, MACs) is measured on the host before the move.
  void set_device(Device device) { device_ = device; }
  Device device() const { return device_; }

  const NetworkConfig& network() const { return network_; }
  const TrialProtocol& protocol() const { return protocol_; }
  const Constraints& constraints() const { return constraints_; }

 private:
  // Trains `net` per the protocol, filling the training fields of `out`.
  void train(nn::Module& net, Evaluation& out, const std::function<void(const StepProgress&)>& on_step) const;

  const SearchSpace& space_;
  NetworkConfig network_;
  TrialProtocol protocol_;
  Constraints constraints_;
  TrialData data_;
  Device device_ = Device::cpu();
};

// JSON: every field above by name (cost as "params" and "macs";
// on_nonfinite as "fail" or "skip"); from_json validates types ("trial
// evaluation JSON: <field>: <problem>"). Fields missing from older files keep
// their defaults (on_nonfinite: fail; skipped_steps: 0).
void to_json(nlohmann::json& j, const Evaluation& e);
void from_json(const nlohmann::json& j, Evaluation& e);
void to_json(nlohmann::json& j, const TrialProtocol& p);
void from_json(const nlohmann::json& j, TrialProtocol& p);
void to_json(nlohmann::json& j, const Constraints& c);
void from_json(const nlohmann::json& j, Constraints& c);

// Median wall time in milliseconds of `runs` batch-1 forward passes of `net`
// (eval mode, no graph) on a zero image of shape image_shape, after one warm-up;
// on the net's device (each pass waits for a device's queued work to finish).
double measure_latency_ms(nn::Module& net, const std::vector<int64_t>& image_shape, int64_t runs);

}  // namespace nf::nas
