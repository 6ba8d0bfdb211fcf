// `nasforge train`: trains a built-in model on a built-in data set, writing
// config.json, metrics.jsonl (one line per epoch) and an atomic checkpoint
// after every epoch into --out; --resume continues a run from its checkpoint.
//
// In an MPI build, `mpirun -np N nasforge train ...` trains data-parallel
// (dist/data_parallel.h): each rank takes its rows of every --batch-size
// batch and gradients are averaged (weighted by rows) before each step, so
// the run follows one process with the same batch size, except that BatchNorm
// uses per-rank batch and running statistics (rank 0's are evaluated and
// saved). Rank 0 alone prints, evaluates and writes files; --resume reads the
// checkpoint on every rank (the run directory must be visible to all ranks).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "autograd/functions.h"
#ifdef NF_WITH_MPI
#include "dist/collectives.h"
#include "dist/comm.h"
#include "dist/data_parallel.h"
#include "dist/threads.h"
#endif
#include "data/loader.h"
#include "data/split.h"
#include "nas/device_batch.h"
#include "nas/network_darts.h"
#include "nn/nn.h"
#include "nn/nonfinite.h"
#include "tensor/error.h"
#include "tensor/ops.h"
#include "tensor/random.h"
#include "tools/commands.h"
#include "tools/device_flag.h"
#include "tools/models.h"
#include "tools/progress.h"

namespace nf::tools {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const char* kHelp =
    "usage: nasforge train --out DIR [flags]\n"
    "  --model mlp|cnn|resnet      network (default cnn)\n"
    "  --genotype FILE             train a searched architecture instead: an experiment's\n"
    "                              best.json (nasforge search) or a genotype JSON\n"
    "  --channels C, --cells N     its network size (default: as searched)\n"
    "  --drop-path P               its drop-path probability (darts space; default 0)\n"
    "  --auxiliary-weight W        darts space: add DARTS's auxiliary head on the cell at\n"
    "                              2/3 depth; loss = main + W * auxiliary (the paper: 0.4;\n"
    "                              default 0: no head). Evaluation ignores the head.\n"
    "  --cutout N                  zero a random N x N square of each training image\n"
    "                              (the paper: 16 on CIFAR-10; default 0: none)\n"
    "  --data SPEC                 fashion-mnist (default), cifar10 or folder:PATH\n"
    "                              (PATH/train and PATH/test with one folder per class)\n"
    "  --data-dir DIR              where the data set lies (Fashion-MNIST default:\n"
    "                              $NF_DATA_DIR or /usr/share/datasets/fashion-mnist)\n"
    "  --epochs N                  epochs to train (default 10)\n"
    "  --batch-size B              examples per step (default 128)\n"
    "  --optimizer sgd|adam        SGD with momentum 0.9 (default) or Adam\n"
    "  --lr X                      initial learning rate, cosine-annealed to 0\n"
    "                              (default 0.01 for sgd, 0.001 for adam)\n"
    "  --weight-decay W            L2 penalty (default 5e-4 for sgd, 0 for adam)\n"
    "  --seed S                    seeds initialisation, shuffling and splits (default 0)\n"
    "  --on-nonfinite fail|skip    a step with a NaN/Inf loss or gradient stops the run\n"
    "                              (default) or is skipped: no optimizer step, counted\n"
    "                              in the epoch's line and metrics (skipped_steps)\n"
    "  --max-skipped-steps K       skip: one more non-finite step in a row stops the run\n"
    "                              as diverged (default 10)\n"
    "  --device cpu|cuda[:N]       where the network trains and is evaluated (default cpu);\n"
    "                              not part of the run's config: a resume may change it\n"
    "  --limit N                   train on the first N training examples only (0: all)\n"
    "  --val-fraction F            hold out this fraction of the training set (default 0)\n"
    "  --out DIR                   run directory: config.json, metrics.jsonl,\n"
    "                              checkpoint.safetensors\n"
    "  --resume                    continue the run in --out from its last checkpoint\n"
    "                              (omitted flags come from its config.json; only\n"
    "                              --epochs, --data-dir, --on-nonfinite and\n"
    "                              --max-skipped-steps may change)\n";

// Every flag of a run, as stored in config.json.
struct TrainConfig {
  std::string model, data, data_dir, optimizer;
  int64_t epochs, batch_size, seed, limit;
  double lr, weight_decay, val_fraction;
  int64_t cutout = 0;          // side of the cutout square; 0: no cutout
  double aux_weight = 0;       // weight of the auxiliary head's loss; > 0 only with a darts genotype
  std::string on_nonfinite = "fail";  // nn/nonfinite.h policy: fail or skip
  int64_t max_skipped_steps = 10;     // skip: non-finite steps allowed in a row
  json architecture;  // model "genotype" only: see tools/models.h

  json to_json() const {
    json j = {{"model", model},   {"data", data},         {"data-dir", data_dir},
              {"epochs", epochs}, {"batch-size", batch_size}, {"optimizer", optimizer},
              {"lr", lr},         {"weight-decay", weight_decay}, {"seed", seed},
              {"limit", limit},   {"val-fraction", val_fraction}, {"cutout", cutout},
              {"auxiliary-weight", aux_weight}, {"on-nonfinite", on_nonfinite},
              {"max-skipped-steps", max_skipped_steps}};
    if (model == "genotype") j["architecture"] = architecture;
    return j;
  }
};

json read_json_file(const fs::path& path) {
  std::ifstream in(path);
  NF_CHECK(in.good(), "nasforge: cannot read ", path.string());
  json j = json::parse(in, nullptr, false);
  NF_CHECK(!j.is_discarded() && j.is_object(), "nasforge: ", path.string(), " is not a JSON object");
  return j;
}

// Reads the flags; with a previous config (--resume) its values are the defaults.
TrainConfig read_flags(Flags& flags, const json& prev) {
  auto str = [&](const char* key, const std::string& dflt) {
    return flags.text(key, prev.contains(key) && prev[key].is_string() ? prev[key].get<std::string>() : dflt);
  };
  auto real = [&](const char* key, double dflt) {
    return prev.contains(key) && prev[key].is_number() ? prev[key].get<double>() : dflt;
  };
  auto integer = [&](const char* key, int64_t dflt) {
    return prev.contains(key) && prev[key].is_number_integer() ? prev[key].get<int64_t>() : dflt;
  };
  TrainConfig c;
  const std::string genotype = flags.text("genotype", "");
  c.model = str("model", genotype.empty() ? "cnn" : "genotype");
  if (!genotype.empty()) {
    NF_CHECK(c.model == "genotype", "nasforge train: pass either --model or --genotype, not both");
    c.architecture = read_architecture("train", genotype);
  } else if (c.model == "genotype") {
    NF_CHECK(prev.contains("architecture"), "nasforge train: config.json of the run has no architecture");
    c.architecture = prev["architecture"];
  } else {
    NF_CHECK(is_model_name(c.model), "nasforge train: --model must be mlp, cnn or resnet, got '", c.model, "'");
  }
  if (c.model == "genotype") {
    json& net = c.architecture["network"];
    net["channels"] = flags.integer("channels", net.value("channels", int64_t{16}), 1, 4096);
    net["cells"] = flags.integer("cells", net.value("cells", int64_t{1}), 1, 1000);
    net["drop_path"] = flags.real("drop-path", net.value("drop_path", 0.0), 0, 0.99);
  }
  c.cutout = flags.integer("cutout", integer("cutout", 0), 0, 4096);
  c.aux_weight = flags.real("auxiliary-weight", real("auxiliary-weight", 0.0), 0, 100);
  if (c.aux_weight > 0) {
    const json space = c.model == "genotype" ? c.architecture.value("space", json::object()) : json::object();
    NF_CHECK(c.model == "genotype" && space.value("space", std::string()) == "darts",
             "nasforge train: --auxiliary-weight needs --genotype of the darts space (the auxiliary head is DARTS's), got ",
             c.model == "genotype" ? "a " + space.value("space", std::string("?")) + " genotype" : "--model " + c.model);
    c.architecture["network"]["auxiliary"] = true;
  } else if (c.model == "genotype") {
    c.architecture["network"].erase("auxiliary");  // NetworkConfig's JSON omits false
  }
  c.data = str("data", "fashion-mnist");
  check_data_spec("train", c.data);
  c.data_dir = str("data-dir", "");
  c.optimizer = str("optimizer", "sgd");
  NF_CHECK(c.optimizer == "sgd" || c.optimizer == "adam", "nasforge train: --optimizer must be sgd or adam, got '",
           c.optimizer, "'");
  const bool sgd = c.optimizer == "sgd";
  c.epochs = flags.integer("epochs", integer("epochs", 10), 1, 100000);
  c.batch_size = flags.integer("batch-size", integer("batch-size", 128), 1, 65536);
  c.lr = flags.real("lr", real("lr", sgd ? 0.01 : 1e-3), 1e-12, 100);
  c.weight_decay = flags.real("weight-decay", real("weight-decay", sgd ? 5e-4 : 0.0), 0, 1);
  c.seed = flags.integer("seed", integer("seed", 0), 0, INT64_MAX);
  c.limit = flags.integer("limit", integer("limit", 0), 0, INT64_MAX);
  c.val_fraction = flags.real("val-fraction", real("val-fraction", 0.0), 0, 0.9);
  c.on_nonfinite = str("on-nonfinite", "fail");
  const nn::OnNonFinite policy = nn::parse_on_nonfinite(c.on_nonfinite, "nasforge train: --on-nonfinite");
  const int64_t max_skipped = flags.integer("max-skipped-steps", 0, 1, 1000000);  // 0: not given
  NF_CHECK(max_skipped == 0 || policy == nn::OnNonFinite::skip,
           "nasforge train: --max-skipped-steps applies to --on-nonfinite skip only");
  c.max_skipped_steps = max_skipped > 0 ? max_skipped : integer("max-skipped-steps", 10);
  return c;
}

// A resumed run must train the same thing: every setting but the epoch count
// and the data location has to match the run's config.json.
void check_same_run(const TrainConfig& c, const json& prev, const fs::path& config_path) {
  const json now = c.to_json();
  // Flags added after a run was written: absent there means their default.
  const json added = {{"cutout", 0}, {"auxiliary-weight", 0.0}};
  for (auto& [key, value] : now.items()) {
    // The NaN/Inf policy may change too: it decides what happens to a bad step, not what is trained.
    if (key == "epochs" || key == "data-dir" || key == "on-nonfinite" || key == "max-skipped-steps") continue;
    if (!prev.contains(key) && added.contains(key) && added[key] == value) continue;
    NF_CHECK(prev.contains(key) && prev[key] == value, "nasforge train: --resume: --", key, " ", value.dump(),
             " differs from ", prev.contains(key) ? prev[key].dump() : std::string("<missing>"), " in ",
             config_path.string(), " (resume with the run's settings, or start a new run in another --out)");
  }
}

// Keeps the metrics lines of epochs <= `epochs` (a line written just before a
// crash, for an epoch whose checkpoint never landed, is dropped).
void truncate_metrics(const fs::path& path, int64_t epochs) {
  std::ifstream in(path);
  std::string line, kept;
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.contains("epoch") && j["epoch"].is_number_integer() &&
        j["epoch"].get<int64_t>() <= epochs)
      kept += line + "\n";
  }
  nn::write_file_atomic(path.string(), kept);
}

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& c, std::vector<Tensor> params) {
  if (c.optimizer == "adam")
    return std::make_unique<optim::Adam>(std::move(params),
                                         optim::AdamOptions{.lr = c.lr, .weight_decay = c.weight_decay});
  return std::make_unique<optim::SGD>(
      std::move(params), optim::SGDOptions{.lr = c.lr, .momentum = 0.9, .weight_decay = c.weight_decay});
}

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * fraction);
  return buf;
}

void print_result(const char* what, const EvalResult& r) {
#ifdef NF_WITH_MPI
  if (dist::launched() && dist::size() > 1 && !dist::is_root()) return;  // rank 0 alone prints
#endif
  std::printf("%s accuracy: %s (loss %.4f, %lld images)\n", what, percent(r.accuracy).c_str(), r.loss,
              static_cast<long long>(r.count));
  std::fflush(stdout);
}

// Data parallelism over MPI ranks (in one process: everything is local).
struct Ranks {
  bool parallel = false;  // 2+ MPI ranks
  bool root = true;       // this rank evaluates and writes files
};

// This rank's rows of a batch: all of them in one process.
data::Batch rows_of(const data::Batch& batch, [[maybe_unused]] const Ranks& ranks) {
#ifdef NF_WITH_MPI
  if (ranks.parallel) return dist::shard(batch);
#endif
  return batch;
}

}  // namespace

static int train_command(Flags& flags, const Ranks& ranks) {
  if (flags.has("help")) {
    std::cout << kHelp;
    return 0;
  }
  const std::string out = flags.text("out", "");
  const bool resume = flags.has("resume");
  NF_CHECK(!out.empty(), "nasforge train: --out DIR is required (the run directory)");
  const fs::path dir(out), config_path = dir / "config.json", metrics_path = dir / "metrics.jsonl",
                 ckpt_path = dir / "checkpoint.safetensors";

  json prev = json::object();
  if (resume) {
    NF_CHECK(fs::exists(config_path), "nasforge train: --resume: no config.json in ", out,
             " (start the run without --resume)");
    NF_CHECK(fs::exists(ckpt_path), "nasforge train: --resume: no checkpoint.safetensors in ", out,
             " (the run stopped before its first epoch ended; start it again without --resume)");
    prev = read_json_file(config_path);
  }
  const TrainConfig cfg = read_flags(flags, prev);
  const Device device = read_device_flag(flags);
  flags.finish();
  check_device_usable("train", device);
  NF_CHECK(device.is_cpu() || !ranks.parallel, "nasforge train: --device ", device.str(),
           " with several MPI ranks is not supported yet (data-parallel training runs on the CPU)");
  NF_CHECK(!fs::exists(dir) || fs::is_directory(dir), "nasforge train: --out ", out, " is not a directory");
  if (resume) {
    check_same_run(cfg, prev, config_path);
  } else {
    NF_CHECK(!fs::exists(ckpt_path), "nasforge train: ", out,
             " already holds a run (checkpoint.safetensors); pass --resume to continue it or choose another --out");
  }

  // Data: the first --limit training examples, optionally split for validation.
  auto full_train = load_data("train", cfg.data, cfg.data_dir, true);
  auto test_set = load_data("train", cfg.data, cfg.data_dir, false);
  const Shape image_shape(full_train->images().shape().begin() + 1, full_train->images().shape().end());
  const Shape test_shape(test_set->images().shape().begin() + 1, test_set->images().shape().end());
  NF_CHECK(image_shape == test_shape && full_train->num_classes() == test_set->num_classes(),
           "nasforge train: training and test images differ in shape or class count");
  NF_CHECK(cfg.cutout <= std::max(image_shape[1], image_shape[2]), "nasforge train: --cutout ", cfg.cutout,
           " is larger than the ", image_shape[1], "x", image_shape[2], " images");
  std::shared_ptr<const data::Dataset> train_set = full_train, val_set;
  if (cfg.limit > 0 && cfg.limit < full_train->size()) {
    std::vector<int64_t> first(static_cast<size_t>(cfg.limit));
    std::iota(first.begin(), first.end(), int64_t{0});
    train_set = std::make_shared<data::SubsetDataset>(full_train, std::move(first));
  }
  if (cfg.val_fraction > 0) {
    auto split = data::train_val_split(train_set, cfg.val_fraction, uint64_t(cfg.seed));
    NF_CHECK(split.train->size() > 0 && split.val->size() > 0, "nasforge train: --val-fraction ",
             cfg.val_fraction, " leaves an empty split of ", train_set->size(), " examples");
    train_set = split.train;
    val_set = split.val;
  }

  manual_seed(uint64_t(cfg.seed));
  auto net = cfg.model == "genotype" ? make_architecture(cfg.architecture, image_shape, full_train->num_classes())
                                     : make_model(cfg.model, image_shape, full_train->num_classes());
  // With --auxiliary-weight the training step also needs the auxiliary head's logits.
  std::shared_ptr<nas::DartsNetworkImpl> aux_net;
  if (cfg.aux_weight > 0) {
    aux_net = std::dynamic_pointer_cast<nas::DartsNetworkImpl>(net);
    NF_CHECK(aux_net && aux_net->has_auxiliary(), "nasforge train: --auxiliary-weight: the network has no auxiliary head");
  }
  net->to(device);  // before the optimizer: its state is made on the parameters' device
  auto opt = make_optimizer(cfg, net->parameters());
  optim::CosineAnnealingLR schedule(*opt, cfg.epochs);

  int64_t start_epoch = 0;
  if (resume) {
    auto meta = nn::load_state(ckpt_path.string(), *net, opt.get());
    auto it = meta.find("epoch");
    NF_CHECK(it != meta.end() && !it->second.empty() &&
                 it->second.find_first_not_of("0123456789") == std::string::npos,
             "nasforge train: ", ckpt_path.string(), " has no valid epoch in its metadata");
    start_epoch = std::stoll(it->second);
    if (ranks.root) {
      truncate_metrics(metrics_path, start_epoch);
      if (cfg.to_json() != prev) nn::write_file_atomic(config_path.string(), cfg.to_json().dump(2) + "\n");
    }
    std::cout << "resuming " << out << " after epoch " << start_epoch << " of " << cfg.epochs << std::endl;
  } else if (ranks.root) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    NF_CHECK(!ec, "nasforge train: cannot create --out ", out, ": ", ec.message());
    nn::write_file_atomic(config_path.string(), cfg.to_json().dump(2) + "\n");
    nn::write_file_atomic(metrics_path.string(), "");
  }
#ifdef NF_WITH_MPI
  if (ranks.parallel) dist::broadcast_module(*net);  // rank 0's weights everywhere (they agree already)
#endif

  const data::Transform eval_tf = eval_transform(cfg.data);
  const int64_t eval_batch = std::max<int64_t>(cfg.batch_size, 256);
  if (start_epoch >= cfg.epochs) {
    std::cout << "all " << cfg.epochs << " epochs already trained\n";
    print_result("test", evaluate(*net, test_set, eval_tf, eval_batch));
    return 0;
  }

  data::DataLoader loader(train_set, {.batch_size = cfg.batch_size, .seed = uint64_t(cfg.seed),
                                      .transform = train_transform(cfg.data, cfg.cutout)});
  const bool tty = stdout_is_tty();
  std::cout << "training " << cfg.model << " (" << net->parameter_count() << " parameters";
  if (aux_net) {
    int64_t head = 0;
    for (const auto& [name, p] : net->named_parameters())
      if (name.rfind("auxiliary_head.", 0) == 0) head += p.numel();
    std::cout << ", " << head << " of them in the auxiliary head";
  }
  std::cout << ") on " << cfg.data << ": "
            << train_set->size() << " training examples, " << (val_set ? val_set->size() : 0) << " validation, "
            << test_set->size() << " test" << std::endl;
  if (!device.is_cpu()) std::cout << "device: " << device.str() << std::endl;
#ifdef NF_WITH_MPI
  if (ranks.parallel)
    std::cout << dist::size() << " MPI ranks train data-parallel: each takes about " << cfg.batch_size / dist::size()
              << " rows of every batch of " << cfg.batch_size << std::endl;
#endif
  // NaN/Inf policy (nn/nonfinite.h). A skipped step takes no optimizer step
  // (momentum / Adam state and step count untouched) and its BatchNorm
  // statistics are undone; the lr schedule is per epoch, so skips leave it as
  // planned. Counts restart with the process (a resume starts from 0).
  const nn::OnNonFinite policy = nn::parse_on_nonfinite(cfg.on_nonfinite, "nasforge train: --on-nonfinite");
  const bool may_skip = policy == nn::OnNonFinite::skip;
  nn::NonFiniteGuard guard({.policy = policy, .max_consecutive_skips = cfg.max_skipped_steps});
  std::optional<nn::BufferSnapshot> buffers;  // the model's buffers before each step (skip only)
  if (may_skip) buffers.emplace(*net);
  const std::vector<Tensor> params = net->parameters();
  using Verdict = nn::NonFiniteGuard::Verdict;
  // One step's verdict, backward (and the gradient average) included. With
  // several ranks under skip the ranks first agree on the loss, so that all
  // skip the same steps (a skip leaves out the collective gradient average);
  // averaged gradients are the same on every rank.
  auto verdict_of = [&](double l, const Tensor& loss, [[maybe_unused]] int64_t rows) {
#ifdef NF_WITH_MPI
    if (ranks.parallel && may_skip) {
      std::vector<double> bad = {std::isfinite(l) ? 0.0 : 1.0};
      dist::allreduce_sum_(bad);
      if (bad[0] > 0 && std::isfinite(l)) l = std::numeric_limits<double>::quiet_NaN();
    }
#endif
    const Verdict v = guard.check_loss(l);
    if (v != Verdict::step) return v;
    if (loss.defined()) loss.backward();
#ifdef NF_WITH_MPI
    if (ranks.parallel) dist::average_gradients(params, rows);  // the whole batch's gradient
#endif
    return guard.check_step(l, params);
  };
  EvalResult test;
  for (int64_t epoch = start_epoch; epoch < cfg.epochs; ++epoch) {
    schedule.set_epoch(epoch);
    loader.set_epoch(epoch);
    const double lr = opt->lr();
    EpochProgress progress(std::cout, tty, epoch + 1, cfg.epochs, loader.size());
    double loss_sum = 0, aux_loss_sum = 0;
    int64_t correct = 0, images = 0, batch = 0;
    const int64_t skipped_before = guard.skipped();
    // A non-finite step under fail, or one too many in a row under skip: the run stops.
    auto stop = [&] {
      const std::string kept = epoch > 0 ? "the checkpoint of epoch " + std::to_string(epoch) + " is kept in " + out
                                         : std::string("no checkpoint was written");
      NF_FAIL("nasforge train: ", guard.reason(), " at epoch ", epoch + 1, " batch ", batch, "/", loader.size(),
              "; training stopped (", kept, "); try a lower --lr", may_skip ? "" : " or --on-nonfinite skip");
    };
    net->train();
    for (const data::Batch& full : loader) {
      ++batch;
      const auto [x, y] = nas::to_device(rows_of(full, ranks), device);  // batches are made on the host
#ifdef NF_WITH_MPI
      if (ranks.parallel && y.size(0) == 0) {  // fewer rows than ranks: only join the vote and the average
        opt->zero_grad();
        if (may_skip) buffers->save();
        const Verdict v = verdict_of(0.0, Tensor(), 0);
        if (v == Verdict::fail) stop();
        if (v == Verdict::skip) buffers->restore();
        else opt->step();
        continue;
      }
#endif
      opt->zero_grad();
      if (may_skip) buffers->save();
      Tensor logits, loss;
      double l = 0, la = 0;  // the main classifier's loss (what is logged), the auxiliary head's
      if (aux_net) {  // loss = main + W * auxiliary, as the DARTS reference trains
        nas::DartsOutput o = aux_net->forward_with_auxiliary(x);
        logits = o.logits;
        Tensor main_loss = nn::cross_entropy(logits, y), aux_loss = nn::cross_entropy(o.auxiliary, y);
        l = main_loss.item();
        la = aux_loss.item();
        loss = main_loss + aux_loss * cfg.aux_weight;
        if (!std::isfinite(la)) l = la;  // stop on either loss
      } else {
        logits = net->forward(x);
        loss = nn::cross_entropy(logits, y);
        l = loss.item();
      }
      const Verdict v = verdict_of(l, loss, y.size(0));
      if (v == Verdict::fail) stop();
      if (v == Verdict::skip) {  // not in the epoch's loss and accuracy
        buffers->restore();
        continue;
      }
      opt->step();
      const int64_t n = y.size(0);
      aux_loss_sum += la * double(n);
      loss_sum += l * double(n);
      correct += nas::count_correct(logits, y);
      images += n;
      progress.update(batch, images, loss_sum, correct);
    }
#ifdef NF_WITH_MPI
    if (ranks.parallel) {  // epoch totals over all ranks; and the ranks' weights must be identical
      std::vector<double> totals = {loss_sum, aux_loss_sum, double(correct), double(images)};
      dist::allreduce_sum_(totals);
      loss_sum = totals[0];
      aux_loss_sum = totals[1];
      correct = int64_t(totals[2]);
      images = int64_t(totals[3]);
      NF_CHECK(dist::same_on_all_ranks(net->parameters()), "nasforge train: the ranks' parameters differ after epoch ",
               epoch + 1, " (data-parallel steps must keep them identical)");
    }
#endif
    const double train_seconds = progress.seconds();
    if (!ranks.root) continue;  // rank 0 alone evaluates and writes
    // Means over the steps taken (an epoch of skipped steps only has none: NaN, null in JSON).
    const auto per_image = [&](double total) {
      return images > 0 ? total / double(images) : std::numeric_limits<double>::quiet_NaN();
    };
    json line = {{"epoch", epoch + 1},
                 {"train_loss", per_image(loss_sum)},
                 {"train_acc", per_image(double(correct))}};
    if (aux_net) line["train_aux_loss"] = per_image(aux_loss_sum);
    const int64_t skipped = guard.skipped() - skipped_before;
    if (may_skip) line["skipped_steps"] = skipped;
    std::ostringstream summary;
    summary << "epoch " << epoch + 1 << "/" << cfg.epochs << "  train loss " << std::fixed;
    summary.precision(4);
    summary << per_image(loss_sum) << " acc " << percent(per_image(double(correct)));
    if (skipped > 0) summary << "  skipped " << skipped << " non-finite step" << (skipped > 1 ? "s" : "");
    if (val_set) {
      EvalResult val = evaluate(*net, val_set, eval_tf, eval_batch);
      line["val_acc"] = val.accuracy;
      summary << "  val acc " << percent(val.accuracy);
    }
    test = evaluate(*net, test_set, eval_tf, eval_batch);
    const double seconds = progress.seconds(), rate = double(images) / std::max(train_seconds, 1e-9);
    line["test_acc"] = test.accuracy;
    line["lr"] = lr;
    line["seconds"] = seconds;
    line["images_per_sec"] = rate;
    summary << "  test acc " << percent(test.accuracy) << "  lr " << std::defaultfloat << lr << "  "
            << std::fixed;
    summary.precision(1);
    summary << seconds << " s  " << std::llround(rate) << " img/s";

    // Metrics first, then the checkpoint: a crash in between leaves a line
    // that a resume drops (truncate_metrics) before redoing the epoch.
    {
      std::ofstream metrics(metrics_path, std::ios::app);
      metrics << line.dump() << "\n";
      NF_CHECK(metrics.flush().good(), "nasforge train: cannot append to ", metrics_path.string());
    }
    nn::save_state(ckpt_path.string(), *net, opt.get(),
                   {{"epoch", std::to_string(epoch + 1)}, {"model", cfg.model}, {"data", cfg.data}});
    progress.finish(summary.str());
  }
  print_result("test", test);
  if (may_skip && ranks.root)
    std::cout << "non-finite steps skipped: " << guard.skipped() << " (--on-nonfinite skip)" << std::endl;
  return 0;
}

int cmd_train(Flags& flags) {
#ifdef NF_WITH_MPI
  if (dist::launched() && dist::size() > 1)
    return dist::run_or_abort([&] {
      dist::set_threads_per_rank(true);
      const bool root = dist::is_root();
      std::streambuf* const kept = std::cout.rdbuf();
      if (!root) std::cout.rdbuf(nullptr);  // rank 0 alone prints
      struct Restore {
        std::streambuf* buf;
        ~Restore() { std::cout.rdbuf(buf); }
      } restore{kept};
      return train_command(flags, {.parallel = true, .root = root});
    });
#endif
  return train_command(flags, {});
}

}  // namespace nf::tools
