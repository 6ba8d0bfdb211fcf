// `nasforge search --strategy darts`: a DARTS search (nas/darts_search.h) on a
// data set, from flags; `nasforge search --resume DIR` of a DARTS experiment
// continues it after its last finished epoch. cmd_search dispatches here.
//
// In an MPI build, `mpirun -np N nasforge search --strategy darts ...` searches
// data-parallel (dist/data_parallel.h): every rank builds the same supernet
// (rank 0's weights and α are broadcast), takes its rows of every batch of both
// halves, and the weight and α gradients (second order: every gradient of the
// unrolled step) are averaged over ranks, weighted by rows, before each step.
// Rank 0 alone prints and writes the experiment directory; the ranks' weights
// and α are checked to be identical after every epoch. --resume reads the
// checkpoint on every rank (the directory must be visible to all of them).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "data/split.h"
#ifdef NF_WITH_MPI
#include "dist/comm.h"
#include "dist/collectives.h"
#include "dist/data_parallel.h"
#include "dist/threads.h"
#endif
#include "nas/darts_search.h"
#include "nas/notation.h"
#include "nn/atomic_file.h"
#include "tensor/error.h"
#include "tensor/random.h"
#include "tools/commands.h"
#include "tools/device_flag.h"
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
    "  --on-nonfinite fail|skip    a NaN/Inf loss or gradient stops the search (default\n"
    "                              fail) or skips that alpha or weight step\n"
    "  --max-skipped-steps K       skip: one more non-finite step in a row (of either\n"
    "                              kind) stops the search (default 10)\n"
    "  --device cpu|cuda[:N]       where the supernet trains (default cpu; not saved)\n"
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
  o.nonfinite.policy = nn::parse_on_nonfinite(flags.text("on-nonfinite", "fail"), "nasforge search: --on-nonfinite");
  const int64_t max_skipped = flags.integer("max-skipped-steps", 0, 1, 1000000);  // 0: not given
  NF_CHECK(max_skipped == 0 || o.nonfinite.policy == nn::OnNonFinite::skip,
           "nasforge search: --max-skipped-steps applies to --on-nonfinite skip only");
  if (max_skipped > 0) o.nonfinite.max_consecutive_skips = max_skipped;
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

// Data parallelism over MPI ranks (in one process: everything is local).
struct Ranks {
  bool parallel = false;  // 2+ MPI ranks
  bool root = true;       // this rank prints and writes the experiment directory
  int size = 1;
};

#ifdef NF_WITH_MPI
constexpr int kSetupTag = 110;  // rank 0 -> the others: {"config", "dir", "resume", "epochs_done"}
#endif

// What the experiment runs: its config (with the data set's image shape and
// classes in "network"), its directory and whether it is resumed.
struct Setup {
  json config;
  fs::path dir;
  bool resume = false;
  Device device = Device::cpu();  // --device: where the supernet trains (not saved in config.json)
};

// Rank 0's reading of the flags; nothing is written yet.
Setup setup_from_flags(Flags& flags) {
  Setup s;
  s.device = read_device_flag(flags);
  const std::string resume_dir = flags.text("resume", ""), out = flags.text("out", "");
  if (!resume_dir.empty()) {
    NF_CHECK(out.empty(), "nasforge search: pass either --out (a new search) or --resume (continue one)");
    std::ifstream in(fs::path(resume_dir) / "config.json");
    NF_CHECK(in.good(), "nasforge search: --resume: no config.json in ", resume_dir);
    s.config = json::parse(in, nullptr, false);
    NF_CHECK(!s.config.is_discarded() && s.config.is_object(), "nasforge search: ", resume_dir,
             "/config.json is not a JSON object");
    const std::string data_dir = flags.text("data-dir", "");
    const int64_t epochs = flags.integer("epochs", 0, 1, 100000);
    flags.finish();  // every other setting is the experiment's
    if (!data_dir.empty()) s.config["data"]["data_dir"] = data_dir;
    if (epochs > 0) s.config["darts"]["epochs"] = epochs;
    s.dir = resume_dir;
    s.resume = true;
  } else {
    NF_CHECK(!out.empty(), "nasforge search: --out DIR is required (or --resume DIR)");
    s.config = config_from_flags(flags);
    flags.finish();
    NF_CHECK(!fs::exists(fs::path(out) / "config.json"), "nasforge search: ", out,
             " already holds an experiment; continue it with --resume ", out, " or choose another --out");
    s.dir = out;
  }
  check_device_usable("search", s.device);
  return s;
}

// The supernet and its search, built alike on every rank from the config.
struct Built {
  std::shared_ptr<nas::SupernetImpl> net;
  std::unique_ptr<nas::DartsSearch> search;
  int64_t half = 0;  // examples in the weight half
};

Built build_search(json& config, const Ranks& ranks, Device device = Device::cpu()) {
  auto options = config.at("darts").get<nas::DartsSearchOptions>();
  auto network = config.at("network").get<nas::NetworkConfig>();
  nas::DartsData data = load_darts_data(config.at("data"), options.seed, network);
  config["network"] = network;  // with the data set's image shape and classes
  Built b;
  b.half = data.train->size();
#ifdef NF_WITH_MPI
  if (ranks.parallel) {
    // BatchNorm normalises each rank's rows by their own statistics: 2+ rows each.
    const int64_t rows = std::min({options.batch_size, data.train->size(), data.val->size()});
    NF_CHECK(rows >= 2 * int64_t(ranks.size), "nasforge search: batches of ", rows, " examples over ", ranks.size,
             " MPI ranks leave a rank fewer than 2 rows (BatchNorm needs 2+); use --batch-size >= ",
             2 * ranks.size, " or fewer ranks");
    dist::set_darts_data_parallel(options);
  }
#else
  (void)ranks;
#endif
  manual_seed(options.seed);
  b.net = nas::make_supernet(config.at("space"), network);
  b.net->to(device);  // before the search builds its optimizers: their state follows the parameters
  b.search = std::make_unique<nas::DartsSearch>(b.net, options, std::move(data));
  return b;
}

#ifdef NF_WITH_MPI
// Every rank's weights and α: what must stay identical.
std::vector<Tensor> searched_state(const nas::SupernetImpl& net) {
  std::vector<Tensor> t = net.weight_parameters();
  for (const Tensor& a : net.arch_parameters()) t.push_back(a);
  return t;
}
#endif

int run_darts(Flags& flags, const Ranks& ranks) {
  if (flags.has("help")) {
    if (ranks.root) std::cout << kHelp;
    return 0;
  }
  // Rank 0 reads the flags and checks everything before the first file is
  // written; then it creates (or resumes) the experiment and tells the others.
  Setup setup;
  Built built;
  if (ranks.root) {
    setup = setup_from_flags(flags);
    NF_CHECK(setup.device.is_cpu() || !ranks.parallel, "nasforge search: --device ", setup.device.str(),
             " with several MPI ranks is not supported yet (start the search without mpirun)");
    built = build_search(setup.config, ranks, setup.device);
    if (!setup.resume) {
      nas::create_darts_experiment(setup.dir, setup.config);
    } else {
      std::ifstream in(setup.dir / "config.json");
      if (json::parse(in, nullptr, false) != setup.config)
        nn::write_file_atomic((setup.dir / "config.json").string(), setup.config.dump(2) + "\n");
      nas::resume_darts_experiment(setup.dir, *built.search);
    }
  }
#ifdef NF_WITH_MPI
  if (ranks.parallel) {
    if (ranks.root) {
      const json msg = {{"config", setup.config}, {"dir", setup.dir.string()}, {"resume", setup.resume},
                        {"epochs_done", built.search->epochs_done()}};
      for (int r = 1; r < ranks.size; ++r) dist::send_json(msg, r, kSetupTag);
    } else {
      const json msg = dist::recv_json(0, kSetupTag).body;
      setup.config = msg.at("config");
      setup.dir = msg.at("dir").get<std::string>();
      setup.resume = msg.at("resume").get<bool>();
      built = build_search(setup.config, ranks);
      // A resume reads the checkpoint on every rank (the optimizers' state too).
      const fs::path ckpt = setup.dir / "checkpoint.safetensors";
      if (setup.resume && fs::exists(ckpt)) built.search->load(ckpt.string());
      const int64_t expected = msg.at("epochs_done").get<int64_t>();
      NF_CHECK(built.search->epochs_done() == expected, "nasforge search: --resume: rank ", dist::rank(), " reads ",
               built.search->epochs_done(), " finished epochs in ", ckpt.string(), ", rank 0 ", expected,
               " (every rank must see the same experiment directory)");
    }
    // Rank 0's weights, α and BatchNorm statistics everywhere, whatever each rank's RNG gave.
    dist::broadcast_module(*built.net);
  }
#endif
  nas::SupernetImpl& net = *built.net;
  nas::DartsSearch& search = *built.search;
  const nas::DartsSearchOptions& options = search.options();
  const json& config = setup.config;
  const fs::path& dir = setup.dir;
  if (setup.resume)
    std::cout << "resuming " << dir.string() << " after epoch " << search.epochs_done() << " of " << options.epochs
              << std::endl;

  int64_t alpha_count = 0;
  for (const Tensor& a : net.arch_parameters()) alpha_count += a.numel();
  int64_t weight_count = 0;
  for (const Tensor& w : net.weight_parameters()) weight_count += w.numel();
  if (ranks.root) {
    std::printf("DARTS (%s order) on the %s space: supernet of %lld weights and %lld alphas; %lld + %lld %s images "
                "(weight / architecture halves), batch %lld: %lld steps per epoch, %lld epochs\n",
                options.order == 1 ? "first" : "second", net.space_name().c_str(),
                static_cast<long long>(weight_count), static_cast<long long>(alpha_count),
                static_cast<long long>(built.half),
                static_cast<long long>(config["data"]["train_examples"].get<int64_t>() - built.half),
                config["data"]["spec"].get<std::string>().c_str(), static_cast<long long>(options.batch_size),
                static_cast<long long>(search.steps_per_epoch()), static_cast<long long>(options.epochs));
    if (ranks.parallel)
      std::printf("%d MPI ranks search data-parallel: each takes about %lld rows of every batch; weight and alpha "
                  "gradients are averaged over ranks before each step\n",
                  ranks.size, static_cast<long long>(options.batch_size / ranks.size));
    std::fflush(stdout);
  }

  const bool tty = stdout_is_tty();
  // The live line shows rank 0's rows, scaled to whole batches.
  const double scale = ranks.parallel ? double(options.batch_size) / double(options.batch_size / ranks.size) : 1.0;
  std::optional<EpochProgress> progress;
  auto on_step = [&](const nas::DartsStepProgress& p) {
    if (!ranks.root) return;
    if (!progress) progress.emplace(std::cout, tty, search.epochs_done() + 1, options.epochs, p.steps);
    progress->update(p.step, std::llround(double(p.images) * scale), p.loss_sum * scale,
                     std::llround(double(p.correct) * scale));
  };
  auto on_epoch = [&](const nas::DartsEpoch& e) {
    char line[400];
    std::snprintf(line, sizeof line,
                  "epoch %lld/%lld  train acc %s (loss %.4f)  val acc %s (loss %.4f)  lr %.4g  %.1f s (%.2f s/step)  "
                  "peak %.0f MB  ",
                  static_cast<long long>(e.epoch), static_cast<long long>(options.epochs),
                  percent(e.train_accuracy).c_str(), e.train_loss, percent(e.val_accuracy).c_str(), e.val_loss, e.lr,
                  e.seconds, e.steps > 0 ? e.seconds / double(e.steps) : 0.0, peak_memory_mb());
    std::string summary = std::string(line) + top_ops(e.alphas);
    if (e.skipped_arch_steps + e.skipped_weight_steps > 0)
      summary += "  (non-finite, skipped: " + std::to_string(e.skipped_arch_steps) + " alpha, " +
                 std::to_string(e.skipped_weight_steps) + " weight steps)";
    if (progress) progress->finish(summary);
    else std::cout << summary << std::endl;
    progress.reset();
  };
  // nas::run_darts_search, with the ranks' agreement checked before rank 0 records an epoch.
  while (search.epochs_done() < options.epochs) {
    const nas::DartsEpoch e = search.run_epoch(on_step);
#ifdef NF_WITH_MPI
    if (ranks.parallel)
      NF_CHECK(dist::same_on_all_ranks(searched_state(net)), "nasforge search: the ranks' weights or alphas differ "
               "after epoch ", e.epoch, " (data-parallel DARTS steps must keep them identical); epoch ", e.epoch,
               " is not recorded");
#endif
    if (!ranks.root) continue;  // rank 0 alone writes
    nas::record_darts_epoch(dir, config, search, e);
    on_epoch(e);
  }
  if (!ranks.root) return 0;

  const nas::Genotype g = net.derive();
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
#ifdef NF_WITH_MPI
  // (--help under mpirun: cmd_search lets rank 0 alone get here, to print it.)
  if (dist::launched() && dist::size() > 1 && !probe.has("help"))
    return dist::run_or_abort([&] {
      dist::set_threads_per_rank(true);  // every rank computes
      const bool root = dist::is_root();
      std::streambuf* const kept = std::cout.rdbuf();
      if (!root) std::cout.rdbuf(nullptr);  // rank 0 alone prints
      struct Restore {
        std::streambuf* buf;
        ~Restore() { std::cout.rdbuf(buf); }
      } restore{kept};
      return run_darts(flags, {.parallel = true, .root = root, .size = dist::size()});
    });
#endif
  return run_darts(flags, {});
}

}  // namespace nf::tools
