// DARTS search (Liu, Simonyan & Yang 2019): the bilevel optimisation of a
// supernet (nas/mixed_op.h) and the experiment directory it writes per epoch.
//
// Bilevel step (the reference's train loop, architect.py): the training set is
// split into a weight half and an architecture half; each step takes one batch
// of each and
//   1. updates α with Adam (lr 3e-4, betas (0.5, 0.999), weight decay 1e-3) along
//      the architecture gradient of L_val (arch_gradient below);
//   2. updates w with SGD (lr 0.025 cosine-annealed per epoch to 0.001, momentum
//      0.9, weight decay 3e-4, gradient-norm clip 5) along grad_w L_train(w, α).
// First order: xi = 0, the gradient is grad_α L_val(w, α). Second order: xi =
// the current weight lr, and with the virtual step of the SGD update
//   w' = w - xi * (m * momentum_buffer + grad_w L_train(w, α) + weight_decay * w)
// (the reference's _compute_unrolled_model), the gradient is
//   grad_α L_val(w', α) - xi * (grad_α L_train(w+, α) - grad_α L_train(w-, α)) / (2 eps)
// with v = grad_w' L_val(w', α), w± = w ± eps v and eps = 0.01 / ||v||
// (hessian_radius / ||v||): a finite-difference Hessian-vector product. w (and
// the BatchNorm running statistics) are restored exactly afterwards. Beware:
// in a ReLU network a step of 0.01 in weight space moves some units across
// their kink, and each crossing adds a jump / (2 eps) to the product; on a tiny
// supernet that error can exceed the product itself (large batches average it).
// A smaller radius (1e-5 in f64) gives the exact chain rule (tests/test_nas_darts.cpp).
//
// Experiment directory (written after every epoch; a crash loses at most the
// epoch that was running, and `resume_darts_experiment` continues after the last
// finished one):
//   config.json             what is searched and how: {"space", "strategy": {"name":
//                           "darts", ...}, "network", "darts" (DartsSearchOptions), "data"}
//   alphas.jsonl            per epoch: {"epoch", "ops", "edges", "<alpha>": softmax rows}
//   genotypes.jsonl         per epoch: {"epoch", "genotype", "notation", "train_loss",
//                           "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds",
//                           "steps", "seconds_per_step"}
//   best.json               the last epoch's genotype in the multi-trial format
//                           (nas/experiment.h): "trial" (= epoch - 1), "epoch",
//                           "notation", "val_accuracy" (the supernet's), "params",
//                           "macs", "latency_ms" (of the derived network built with
//                           config "network"), "genotype", "space", "network", "data";
//                           so `nasforge train --genotype DIR/best.json` retrains it
//   checkpoint.safetensors  supernet weights and α ("net.*"), BN statistics, the
//                           weight SGD state ("optim.*"), the α Adam state
//                           ("arch_optim.*", its step and lr in the metadata) and "epoch"
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/loader.h"
#include "data/transforms.h"
#include "nas/genotype.h"
#include "nas/mixed_op.h"
#include "nas/network.h"
#include "nn/nonfinite.h"
#include "nn/optim/adam.h"
#include "nn/optim/lr_scheduler.h"
#include "nn/optim/sgd.h"

namespace nf::nas {

struct DartsSearchOptions {
  int64_t order = 1;  // 1: first order (xi = 0); 2: second order (xi = the current weight lr)
  int64_t epochs = 10;
  int64_t batch_size = 64;
  double lr = 0.025;  // weights: SGD, cosine-annealed per epoch down to lr_min
  double lr_min = 0.001;
  double momentum = 0.9;
  double weight_decay = 3e-4;
  double grad_clip = 5;  // max gradient norm of the weights; 0: none
  double arch_lr = 3e-4;  // α: Adam
  double arch_beta1 = 0.5;
  double arch_beta2 = 0.999;
  double arch_weight_decay = 1e-3;
  double hessian_radius = 0.01;  // second order: the finite-difference step is hessian_radius / ||v||
  uint64_t seed = 0;  // batch order of both halves
  // A non-finite loss or gradient (nn/nonfinite.h): fail the search, or skip
  // that α step / weight step (up to max_consecutive_skips in a row each).
  // JSON: "on_nonfinite" ("fail" | "skip"), "max_skipped_steps".
  nn::NonFiniteOptions nonfinite;

  // Data parallelism, for a distributed runner (dist/data_parallel.h; nas/ never
  // depends on MPI). Not saved in JSON. Unset: whole batches in one process. Set
  // on every rank: each rank trains on shard_batch(batch), its rows of every
  // batch, and reduce_gradients(grads, rows) replaces each gradient in place by
  // the mean over ranks weighted by `rows` (the rows it was computed from). It
  // is a collective, called on every rank wherever a gradient feeds an update:
  //   first order:  grad_α L_val (val rows), before the α step;
  //   second order: grad_w L_train of the virtual step (train rows), so w' is
  //                 the whole batch's; grad_α and v = grad_w' of L_val(w') in one
  //                 call (val rows); grad_α L_train(w+) - grad_α L_train(w-) of
  //                 the Hessian-vector product (train rows);
  //   both:         the weight gradients (zeros for a weight without one), before
  //                 clipping (train rows).
  // So every rank takes the same steps, and N ranks follow one process with the
  // same batch up to float rounding, except that BatchNorm normalises with
  // per-rank batch statistics and keeps per-rank running statistics.
  // sum_over_ranks(values) sums each value over ranks (a collective); run_epoch
  // uses it once per epoch for the loss and accuracy totals of DartsEpoch.
  // A non-finite loss throws on its rank (see run_epoch), which the runner
  // turns into a job stop.
  std::function<data::Batch(const data::Batch&)> shard_batch;
  std::function<void(std::vector<Tensor>& grads, int64_t rows)> reduce_gradients;
  std::function<void(std::vector<double>& values)> sum_over_ranks;
};
// nlohmann hooks; from_json fills omitted fields with the defaults and throws
// nf::Error ("darts options: <field>: <problem>") on a bad value.
void to_json(nlohmann::json& j, const DartsSearchOptions& o);
void from_json(const nlohmann::json& j, DartsSearchOptions& o);

// What the architecture gradient also measures: L_val and its correct count
// on the validation batch (at w for first order, at w' for second order).
struct ArchGradient {
  std::vector<Tensor> grads;  // one per arch_parameters() entry
  double val_loss = 0;
  int64_t val_correct = 0;
};

struct BilevelStepStats {
  double train_loss = 0, val_loss = 0;  // batch means
  int64_t train_correct = 0, val_correct = 0;
  bool arch_skipped = false, weights_skipped = false;  // under OnNonFinite::skip
};

class BilevelOptimizer {
 public:
  BilevelOptimizer(SupernetImpl& net, const DartsSearchOptions& options);

  // The architecture gradient at the current (w, α) for step size xi (0: first
  // order), as described above. Touches no .grad(); leaves w and the buffers as
  // they were (BN statistics aside for xi = 0, whose one forward updates them).
  // With reduce_gradients set it is a collective and returns the mean over ranks;
  // val_loss and val_correct stay this rank's.
  ArchGradient arch_gradient(const Tensor& x_train, const Tensor& y_train, const Tensor& x_val, const Tensor& y_val,
                             double xi);
  // One α step (on val; second order also on train), then one weight step (on
  // train). A non-finite loss (on any rank) or gradient skips that half of the
  // step (no update, buffers restored) or, under fail or past the skip limit,
  // throws nf::Error with the reason (on every rank alike).
  BilevelStepStats step(const data::Batch& train, const data::Batch& val);
  // The xi of the next step: 0 for first order, else the weight optimizer's lr.
  double xi() const;

  optim::SGD& weight_optimizer() { return weight_opt_; }
  int64_t skipped_arch_steps() const { return arch_guard_.skipped(); }
  int64_t skipped_weight_steps() const { return weight_guard_.skipped(); }
  optim::Adam& arch_optimizer() { return arch_opt_; }
  const std::vector<Tensor>& weights() const { return weights_; }
  const std::vector<Tensor>& alphas() const { return alphas_; }

 private:
  // True when `value` is finite on every rank (one collective when data parallel).
  bool finite_on_all_ranks(double value) const;
  // step's verdict on one half: true = update; false = skipped (buffers restored);
  // throws under fail or past the limit.
  bool accept(nn::NonFiniteGuard& guard, double loss, const std::vector<Tensor>& params, double max_norm,
              const char* half);

  SupernetImpl& net_;
  DartsSearchOptions options_;
  std::vector<Tensor> weights_, alphas_;
  optim::SGD weight_opt_;
  optim::Adam arch_opt_;
  nn::NonFiniteGuard arch_guard_, weight_guard_;
  std::optional<nn::BufferSnapshot> buffers_;  // under skip: saved before each half (made at the first step)
};

// The two halves of the training set and their per-batch transform.
struct DartsData {
  std::shared_ptr<const data::Dataset> train, val;  // weight half, architecture half
  data::Transform transform;
};

struct DartsEpoch {
  int64_t epoch = 0;  // 1-based
  double train_loss = 0, train_accuracy = 0;  // over the weight steps, as trained
  double val_loss = 0, val_accuracy = 0;      // over the architecture batches, before each α update
                                              // (training-mode BN; second order: at the virtual w');
                                              // with sum_over_ranks: over every rank's rows
  double lr = 0;                              // weight lr of the epoch
  double seconds = 0;
  int64_t steps = 0;
  int64_t skipped_arch_steps = 0, skipped_weight_steps = 0;  // this epoch, under OnNonFinite::skip
  Genotype genotype;     // derived after the epoch
  nlohmann::json alphas;  // SupernetImpl::alphas_json() after the epoch
};

struct DartsStepProgress {
  int64_t step = 0, steps = 0;  // 1-based step of the epoch, steps per epoch
  int64_t images = 0;           // weight-half images so far this epoch (this rank's rows)
  double loss_sum = 0;          // sum of per-image training losses so far
  int64_t correct = 0;
};

class DartsSearch {
 public:
  // Throws nf::Error on bad options or empty data. The supernet may live on any
  // device: move it (net->to(device)) before this, since the optimizers make
  // their state on the parameters' device; each step moves its batches there.
  DartsSearch(std::shared_ptr<SupernetImpl> net, DartsSearchOptions options, DartsData data);

  // Runs epoch epochs_done() + 1: min(batches of each half) bilevel steps.
  // Throws nf::Error when a loss becomes non-finite.
  DartsEpoch run_epoch(const std::function<void(const DartsStepProgress&)>& on_step = {});
  int64_t epochs_done() const { return epoch_; }
  int64_t steps_per_epoch() const;

  // Everything a resume needs, in one atomic safetensors file (see above).
  void save(const std::string& path);
  void load(const std::string& path);

  SupernetImpl& net() { return *net_; }
  BilevelOptimizer& optimizer() { return opt_; }
  const DartsSearchOptions& options() const { return options_; }

 private:
  std::shared_ptr<nn::Module> state_module();  // the net and the α optimizer's state, for save/load

  std::shared_ptr<SupernetImpl> net_;
  DartsSearchOptions options_;
  DartsData data_;
  BilevelOptimizer opt_;
  optim::CosineAnnealingLR schedule_;
  data::DataLoader train_loader_, val_loader_;
  int64_t epoch_ = 0;
};

// The supernet of a space config ("darts" or "nb201") for `network`.
std::shared_ptr<SupernetImpl> make_supernet(const nlohmann::json& space, const NetworkConfig& network);

// --- the experiment directory -------------------------------------------------
// Creates dir and writes config.json and empty logs; throws when dir already
// holds an experiment.
void create_darts_experiment(const std::filesystem::path& dir, const nlohmann::json& config);
// Loads dir's checkpoint into `search` (if one was written), drops log lines of
// epochs after it and rewrites best.json from the last kept epoch; returns the
// epochs done.
int64_t resume_darts_experiment(const std::filesystem::path& dir, DartsSearch& search);
// Appends the epoch's log lines, rewrites best.json, then saves the checkpoint.
void record_darts_epoch(const std::filesystem::path& dir, const nlohmann::json& config, DartsSearch& search,
                        const DartsEpoch& epoch);
// Runs the remaining epochs of search.options().epochs, recording each.
void run_darts_search(const std::filesystem::path& dir, const nlohmann::json& config, DartsSearch& search,
                      const std::function<void(const DartsStepProgress&)>& on_step = {},
                      const std::function<void(const DartsEpoch&)>& on_epoch = {});

}  // namespace nf::nas
