// `nasforge search --strategy darts`: a DARTS search (nas/darts_search.h) on a
// data set, from flags; `nasforge search --resume DIR` of a DARTS experiment
// continues it after its last finished epoch. cmd_search dispatches here.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "data/split.h"
#include "nas/darts_search.h"
#include "nas/notation.h"
#include "nn/atomic_file.h"
#include "tensor/error.h"
#include "tensor/random.h"
#include "tools/commands.h"
#include "tools/models.h"
#include "tools/progress.h"
#include "tools/report.h"

namespace nf::tools {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const char* kHelp =
    "usage: nasforge search --strategy darts --out DIR [flags]\n"
    "       nasforge search --resume DIR [--epochs N] [--data-dir DIR]\n"
    "DARTS (Liu et al. 2019): trains a supernet whose edges mix every candidate op,\n"
    "alternating an architecture (alpha) step on one half of the training examples and\n"
    "a weight step on the other half, then keeps the strongest ops.\n"
    "  --space darts|nb201         cell space (default darts)\n"
    "  --order 1|2                 first order (default) or second order (unrolled\n"
    "                              weight step; about 2.1x the time per step)\n"
    "  --epochs N                  (default: darts 6, nb201 10)\n"
    "  --channels C                supernet width (default 8)\n"
    "  --cells N                   darts: cells in all, reductions at 1/3 and 2/3\n"
    "                              (default 5); nb201: cells per stage (default 1)\n"
    "  --batch-size B              per half (default 64)\n"
    "  --train-examples N          training examples used, split in two halves\n"
    "                              (default: darts 5000, nb201 10000)\n"
    "  --lr X                      weight SGD lr, cosine to 0.001 (default 0.025)\n"
    "  --arch-lr X                 alpha Adam lr (default 3e-4)\n"
    "  --seed S                    supernet initialisation, data subset and batch order\n"
    "  --data SPEC  --data-dir DIR as nasforge train\n"
    "  --out DIR                   experiment directory: config.json, alphas.jsonl,\n"
    "                              genotypes.jsonl, best.json, checkpoint.safetensors\n"
    "  --resume DIR                continue after the last finished epoch\n"
    "Cost of the defaults on 2 shared CPU cores (Fashion-MNIST 28x28, measured with\n"
    "OMP_WAIT_POLICY=passive, which shared cores need: spinning OpenMP threads made\n"
    "a step 5x slower there): darts, first order: 39 steps per epoch of about 8 s,\n"
    "about 5 min per epoch, 30 min in all, peak memory 2.2 GB; second order: 16 s\n"
    "per step. nb201: 78 steps of about 0.6 s, about 8 min in all. Retrain with\n"
    "  nasforge train --genotype DIR/best.json --channels 16 --cells 8 --out RUN\n";

json config_from_flags(Flags& flags) {
  const std::string strategy = flags.text("strategy", "darts");
  NF_CHECK(strategy == "darts", "nasforge search: expected --strategy darts, got '", strategy, "'");
  const std::string space = flags.text("space", "darts");
  NF_CHECK(space == "darts" || space == "nb201", "nasforge search: --strategy darts searches --space darts or nb201, got '",
           space, "'");
  nas::DartsSearchOptions o;
  o.order = flags.integer("order", 1, 1, 2);
  o.epochs = flags.integer("epochs", space == "darts" ? 6 : 10, 1, 100000);
  o.batch_size = flags.integer("batch-size", o.batch_size, 2, 65536);
  o.lr = flags.real("lr", o.lr, 1e-9, 10);
  o.arch_lr = flags.real("arch-lr", o.arch_lr, 1e-9, 10);
  const int64_t seed = flags.integer("seed", 0, 0, INT64_MAX);
  o.seed = uint64_t(seed);
  nas::NetworkConfig network;
  network.channels = flags.integer("channels", 8, 1, 1024);
  network.cells = flags.integer("cells", space == "darts" ? 5 : 1, 1, 100);
  const std::string data_spec = flags.text("data", "fashion-mnist");
  check_data_spec("search", data_spec);
  json data = {{"spec", data_spec},
               {"data_dir", flags.text("data-dir", "")},
               {"train_examples", flags.integer("train-examples", space == "darts" ? 5000 : 10000, 4, INT64_MAX)}};
  return {{"space", {{"space", space}}},
          {"strategy", {{"name", "darts"}, {"order", o.order}, {"seed", seed}}},
          {"network", network},
          {"darts", o},
          {"data", data}};
}

// A seeded subset of the training set, split into the weight half and the
// architecture half; the network config learns the image shape and classes.
nas::DartsData load_darts_data(const json& data, uint64_t seed, nas::NetworkConfig& network) {
  const std::string spec = data.at("spec").get<std::string>();
  auto full = load_data("search", spec, data.at("data_dir").get<std::string>(), true);
  const int64_t n = std::min(full->size(), data.at("train_examples").get<int64_t>());
  NF_CHECK(n >= 4, "nasforge search: darts needs at least 4 training examples, got ", n);
  const std::vector<int64_t> perm = data::random_permutation(full->size(), seed);
  nas::DartsData out;
  out.train = std::make_shared<data::SubsetDataset>(full, std::vector<int64_t>(perm.begin(), perm.begin() + n / 2));
  out.val = std::make_shared<data::SubsetDataset>(full, std::vector<int64_t>(perm.begin() + n / 2, perm.begin() + n));
  out.transform = train_transform(spec);  // the reference searches with its training augmentation
  const auto& shape = full->images().shape();
  network.image_shape.assign(shape.begin() + 1, shape.end());
  network.num_classes = full->num_classes();
  return out;
}

// The two ops with the highest mean weight over the edges of each α:
// "normal: sep_conv_3x3 .146 skip_connect .131 | reduce: ...".
std::string top_ops(const json& alphas) {
  const auto ops = alphas.at("ops").get<std::vector<std::string>>();
  std::ostringstream s;
  bool first = true;
  for (const auto& [name, rows] : alphas.items()) {
    if (name == "ops" || name == "edges" || name == "epoch") continue;
    std::vector<std::pair<double, size_t>> mean(ops.size());
    for (size_t k = 0; k < ops.size(); ++k) mean[k] = {0.0, k};
    for (const auto& row : rows)
      for (size_t k = 0; k < ops.size(); ++k) mean[k].first += row[k].get<double>() / double(rows.size());
    std::stable_sort(mean.begin(), mean.end(), [](auto& a, auto& b) { return a.first > b.first; });
    s << (first ? "" : " | ") << name << ":";
    for (size_t k = 0; k < std::min<size_t>(2, mean.size()); ++k) {
      char buf[80];
      std::snprintf(buf, sizeof buf, " %s %.3f", ops[mean[k].second].c_str(), mean[k].first);
      s << buf;
    }
    first = false;
  }
  return s.str();
}

// Peak resident memory of this process in MB (Linux VmHWM), 0 when unknown.
double peak_memory_mb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

std::string percent(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * f);
  return buf;
}

int run_darts(Flags& flags) {
  if (flags.has("help")) {
    std::cout << kHelp;
    return 0;
  }
  const std::string resume_dir = flags.text("resume", ""), out = flags.text("out", "");
  json config;
  if (!resume_dir.empty()) {
    NF_CHECK(out.empty(), "nasforge search: pass either --out (a new search) or --resume (continue one)");
    std::ifstream in(fs::path(resume_dir) / "config.json");
    NF_CHECK(in.good(), "nasforge search: --resume: no config.json in ", resume_dir);
    config = json::parse(in, nullptr, false);
    NF_CHECK(!config.is_discarded() && config.is_object(), "nasforge search: ", resume_dir,
             "/config.json is not a JSON object");
    const std::string data_dir = flags.text("data-dir", "");
    const int64_t epochs = flags.integer("epochs", 0, 1, 100000);
    flags.finish();  // every other setting is the experiment's
    if (!data_dir.empty()) config["data"]["data_dir"] = data_dir;
    if (epochs > 0) config["darts"]["epochs"] = epochs;
  } else {
    NF_CHECK(!out.empty(), "nasforge search: --out DIR is required (or --resume DIR)");
    config = config_from_flags(flags);
    flags.finish();
    NF_CHECK(!fs::exists(fs::path(out) / "config.json"), "nasforge search: ", out,
             " already holds an experiment; continue it with --resume ", out, " or choose another --out");
  }

  // Everything is checked before the first file is written.
  const auto options = config.at("darts").get<nas::DartsSearchOptions>();
  auto network = config.at("network").get<nas::NetworkConfig>();
  nas::DartsData data = load_darts_data(config.at("data"), options.seed, network);
  config["network"] = network;  // with the data set's image shape and classes
  manual_seed(options.seed);
  auto net = nas::make_supernet(config.at("space"), network);
  const int64_t half = data.train->size();
  nas::DartsSearch search(net, options, std::move(data));

  const fs::path dir = resume_dir.empty() ? fs::path(out) : fs::path(resume_dir);
  if (resume_dir.empty()) {
    nas::create_darts_experiment(dir, config);
  } else {
    std::ifstream in(dir / "config.json");
    if (json::parse(in, nullptr, false) != config) nn::write_file_atomic((dir / "config.json").string(), config.dump(2) + "\n");
    const int64_t done = nas::resume_darts_experiment(dir, search);
    std::cout << "resuming " << dir.string() << " after epoch " << done << " of " << options.epochs << std::endl;
  }
  int64_t alpha_count = 0;
  for (const Tensor& a : net->arch_parameters()) alpha_count += a.numel();
  int64_t weight_count = 0;
  for (const Tensor& w : net->weight_parameters()) weight_count += w.numel();
  std::printf("DARTS (%s order) on the %s space: supernet of %lld weights and %lld alphas; %lld + %lld %s images "
              "(weight / architecture halves), batch %lld: %lld steps per epoch, %lld epochs\n",
              options.order == 1 ? "first" : "second", net->space_name().c_str(), static_cast<long long>(weight_count),
              static_cast<long long>(alpha_count), static_cast<long long>(half),
              static_cast<long long>(config["data"]["train_examples"].get<int64_t>() - half),
              config["data"]["spec"].get<std::string>().c_str(), static_cast<long long>(options.batch_size),
              static_cast<long long>(search.steps_per_epoch()), static_cast<long long>(options.epochs));
  std::fflush(stdout);

  const bool tty = stdout_is_tty();
  std::optional<EpochProgress> progress;
  auto on_step = [&](const nas::DartsStepProgress& p) {
    if (!progress) progress.emplace(std::cout, tty, search.epochs_done() + 1, options.epochs, p.steps);
    progress->update(p.step, p.images, p.loss_sum, p.correct);
  };
  auto on_epoch = [&](const nas::DartsEpoch& e) {
    char line[400];
    std::snprintf(line, sizeof line,
                  "epoch %lld/%lld  train acc %s (loss %.4f)  val acc %s (loss %.4f)  lr %.4g  %.1f s (%.2f s/step)  "
                  "peak %.0f MB  ",
                  static_cast<long long>(e.epoch), static_cast<long long>(options.epochs),
                  percent(e.train_accuracy).c_str(), e.train_loss, percent(e.val_accuracy).c_str(), e.val_loss, e.lr,
                  e.seconds, e.steps > 0 ? e.seconds / double(e.steps) : 0.0, peak_memory_mb());
    const std::string summary = std::string(line) + top_ops(e.alphas);
    if (progress) progress->finish(summary);
    else std::cout << summary << std::endl;
    progress.reset();
  };
  nas::run_darts_search(dir, config, search, on_step, on_epoch);

  const nas::Genotype g = net->derive();
  std::cout << "derived genotype after epoch " << search.epochs_done() << ": " << nas::to_string(g) << "\n"
            << "files in " << dir.string() << ": config.json, alphas.jsonl, genotypes.jsonl, best.json, "
            << "checkpoint.safetensors, report.html\n"
            << "retrain it from scratch: nasforge train --genotype " << (dir / "best.json").string()
            << " --out RUN [--channels C --cells N --epochs E]" << std::endl;
  write_report_after_search(dir, std::cout);  // never throws: prints a warning instead
  return 0;
}

}  // namespace

std::optional<int> cmd_search_darts(Flags& flags) {
  // Peek at a copy, so that the flags stay unread for cmd_search when this is not DARTS.
  Flags probe = flags;
  const std::string strategy = probe.text("strategy", ""), resume = probe.text("resume", "");
  bool darts = strategy == "darts";
  if (strategy.empty() && !resume.empty()) {
    std::ifstream in(fs::path(resume) / "config.json");
    const json config = in.good() ? json::parse(in, nullptr, false) : json();
    darts = config.is_object() && config.contains("strategy") && config["strategy"].is_object() &&
            config["strategy"].value("name", std::string()) == "darts";
  }
  if (!darts) return std::nullopt;
  return run_darts(flags);
}

}  // namespace nf::tools
