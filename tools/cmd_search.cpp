// `nasforge search`: a multi-trial NAS experiment (nas/search.h) on a data set,
// from flags; `--resume DIR` continues one from its directory. In an MPI build,
// `mpirun -np N nasforge search ...` trains N-1 trials at a time on ranks
// 1..N-1 (dist/async_search.h), and `--strategy darts` searches data-parallel
// on all N (tools/cmd_search_darts.cpp); without mpirun it runs in this process.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/split.h"
#ifdef NF_WITH_MPI
#include "dist/async_search.h"
#include "dist/comm.h"
#include "dist/threads.h"
#include "dist/trial_pool.h"
#endif
#include "nas/evaluator.h"
#include "nas/experiment.h"
#include "nas/search.h"
#include "nas/space.h"
#include "nas/strategy.h"
#include "tensor/error.h"
#include "tools/commands.h"
#include "tools/device_flag.h"
#include "tools/models.h"
#include "tools/progress.h"
#include "tools/report.h"
#include "tools/search_display.h"

namespace nf::tools {

using json = nlohmann::json;

namespace {

const char* kHelp =
    "usage: nasforge search --out DIR [flags]\n"
    "       nasforge search --resume DIR [--budget B] [--data-dir DIR]\n"
    "  --space nb201|darts|macro   search space (default nb201)\n"
    "  --strategy evolution|random|reinforce|darts\n"
    "                              regularized evolution (default), random search,\n"
    "                              REINFORCE with an LSTM controller, or DARTS (one-shot,\n"
    "                              darts and nb201 spaces; see --strategy darts --help)\n"
    "  --budget B                  10m, 600s, 1h: trial wall time; 50: trials (default 10m)\n"
    "  --out DIR                   experiment directory: config.json, trials.jsonl,\n"
    "                              strategy.json, best.json, pareto.json\n"
    "  --resume DIR                continue an interrupted or finished experiment\n"
    "                              (optionally with a larger --budget)\n"
    "  --seed S                    strategy, data split and trial seed (default 0)\n"
    "  --strategy-options JSON     e.g. '{\"population_size\": 20, \"sample_size\": 5}'\n"
    "data (the validation split is held out of the training set; the test set is not used):\n"
    "  --data SPEC                 fashion-mnist (default), cifar10 or folder:PATH\n"
    "  --data-dir DIR              where the data set lies\n"
    "  --train-examples N          training examples per trial (default 6000)\n"
    "  --val-examples N            validation examples (default 2000)\n"
    "trial protocol (every candidate is trained from scratch alike):\n"
    "  --epochs N                  (default 1)\n"
    "  --batch-size B              (default 128)\n"
    "  --lr X                      SGD, Nesterov 0.9, cosine per step (default 0.1)\n"
    "  --weight-decay W            (default 3e-4)\n"
    "  --trial-time-limit S        seconds of training per trial, 0: none (default 0)\n"
    "  --on-nonfinite fail|skip    a step with a NaN/Inf loss or gradient fails the trial\n"
    "                              (default) or is skipped (no SGD step; counted in the\n"
    "                              trial's skipped_steps)\n"
    "  --max-skipped-steps K       skip: one more non-finite step in a row fails the\n"
    "                              trial as diverged (default 10)\n"
    "  --device cpu|cuda[:N]       where trials train (default cpu; not saved: a resume may change it)\n"
    "network (what each candidate's genotype is built into):\n"
    "  --channels C                nb201: first-stage C (default 8); darts: C (default 8);\n"
    "                              macro: stem width (default 16)\n"
    "  --cells N                   nb201: cells per stage (default 1); darts: cells (default 5)\n"
    "  --layers L                  macro: layers (default 6)\n"
    "  --search-strides            macro: search each layer's stride (else fixed pools)\n"
    "  --include-none              darts: allow the 'none' op\n"
    "constraints (a candidate over a limit fails without training; 0: none):\n"
    "  --max-params N  --max-macs N  --max-latency-ms X\n";

// "10m" / "600s" / "1h" -> seconds; "50" or "50-trials" -> trials.
nas::SearchBudget parse_budget(const std::string& text) {
  nas::SearchBudget b;
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  const bool ok_number = used > 0 && std::isfinite(value) && value > 0;
  if (ok_number && (unit == "s" || unit == "m" || unit == "h")) {
    b.max_seconds = value * (unit == "s" ? 1 : unit == "m" ? 60 : 3600);
  } else if (ok_number && (unit.empty() || unit == "-trials" || unit == "trials") && value == std::floor(value)) {
    b.max_trials = int64_t(value);
  } else {
    NF_FAIL("nasforge search: --budget must be a time (10m, 600s, 1h) or a trial count (50), got '", text, "'");
  }
  return b;
}

json budget_json(const nas::SearchBudget& b) { return {{"trials", b.max_trials}, {"seconds", b.max_seconds}}; }

nas::SearchBudget budget_from(const json& j) {
  NF_CHECK(j.is_object() && j.value("trials", json()).is_number_integer() && j.value("seconds", json()).is_number(),
           "nasforge search: config.json: budget: expected {\"trials\": N, \"seconds\": S}");
  return {j["trials"].get<int64_t>(), j["seconds"].get<double>()};
}

// A typical trial of the default protocol takes about this long on 2 cores; a
// time budget tells the strategy budget / this many trials, from which
// evolution sizes its population (nas/strategy_evolution.h).
constexpr double kTypicalTrialSeconds = 15;

// The whole experiment configuration from the flags of a new search.
json config_from_flags(Flags& flags) {
  const std::string space_name = flags.text("space", "nb201");
  NF_CHECK(space_name == "nb201" || space_name == "darts" || space_name == "macro",
           "nasforge search: --space must be nb201, darts or macro, got '", space_name, "'");
  json space = {{"space", space_name}};
  const bool search_strides = flags.has("search-strides"), include_none = flags.has("include-none");
  const int64_t layers = flags.integer("layers", 6, 1, 64);
  if (space_name == "macro") {
    space["num_layers"] = layers;
    space["search_strides"] = search_strides;
  } else {
    NF_CHECK(!search_strides && layers == 6 && !flags.has("layers"),
             "nasforge search: --layers and --search-strides apply to --space macro only");
  }
  if (space_name == "darts") space["include_none"] = include_none;
  else NF_CHECK(!include_none, "nasforge search: --include-none applies to --space darts only");

  nas::NetworkConfig network;
  network.channels = flags.integer("channels", space_name == "macro" ? 16 : 8, 1, 1024);
  network.cells = flags.integer("cells", space_name == "darts" ? 5 : 1, 1, 100);

  nas::TrialProtocol protocol;
  protocol.epochs = flags.integer("epochs", protocol.epochs, 1, 1000);
  protocol.batch_size = flags.integer("batch-size", protocol.batch_size, 1, 65536);
  protocol.lr = flags.real("lr", protocol.lr, 1e-9, 10);
  protocol.weight_decay = flags.real("weight-decay", protocol.weight_decay, 0, 1);
  protocol.time_limit = flags.real("trial-time-limit", 0, 0, 1e7);
  protocol.on_nonfinite = nn::parse_on_nonfinite(flags.text("on-nonfinite", "fail"), "nasforge search: --on-nonfinite");
  if (const int64_t k = flags.integer("max-skipped-steps", 0, 1, 1000000); k > 0) {  // 0: not given
    NF_CHECK(protocol.on_nonfinite == nn::OnNonFinite::skip,
             "nasforge search: --max-skipped-steps applies to --on-nonfinite skip only");
    protocol.max_skipped_steps = k;
  }
  const int64_t seed = flags.integer("seed", 0, 0, INT64_MAX);
  protocol.seed = uint64_t(seed);

  nas::Constraints constraints;
  constraints.max_params = flags.integer("max-params", 0, 0, INT64_MAX);
  constraints.max_macs = flags.integer("max-macs", 0, 0, INT64_MAX);
  constraints.max_latency_ms = flags.real("max-latency-ms", 0, 0, 1e9);

  const nas::SearchBudget budget = parse_budget(flags.text("budget", "10m"));
  const std::string strategy = flags.text("strategy", "evolution");
  NF_CHECK(strategy == "evolution" || strategy == "random" || strategy == "reinforce",
           "nasforge search: --strategy must be evolution, random or reinforce, got '", strategy, "'");
  const std::string options_text = flags.text("strategy-options", "{}");
  json options = json::parse(options_text, nullptr, false);
  NF_CHECK(!options.is_discarded() && options.is_object(),
           "nasforge search: --strategy-options must be a JSON object, got '", options_text, "'");
  if (!options.contains("budget"))
    options["budget"] = budget.max_trials > 0
                            ? budget.max_trials
                            : std::max<int64_t>(10, std::llround(budget.max_seconds / kTypicalTrialSeconds));

  const std::string data_spec = flags.text("data", "fashion-mnist");
  check_data_spec("search", data_spec);
  json data = {{"spec", data_spec},
               {"data_dir", flags.text("data-dir", "")},
               {"train_examples", flags.integer("train-examples", 6000, 1, INT64_MAX)},
               {"val_examples", flags.integer("val-examples", 2000, 1, INT64_MAX)}};
  return {{"space", space},
          {"strategy", {{"name", strategy}, {"options", options}, {"seed", seed}}},
          {"network", network},
          {"protocol", protocol},
          {"constraints", constraints},
          {"data", data},
          {"budget", budget_json(budget)}};
}

// Loads the data set and carves the trial subsets: a seeded permutation of the
// training set, the first val_examples for validation, the next train_examples
// for training. The network config learns the image shape and class count.
nas::TrialData load_trial_data(const json& data, uint64_t seed, nas::NetworkConfig& network) {
  const std::string spec = data["spec"].get<std::string>();
  auto full = load_data("search", spec, data["data_dir"].get<std::string>(), true);
  const int64_t n = full->size(), val = data["val_examples"].get<int64_t>(),
                train = data["train_examples"].get<int64_t>();
  NF_CHECK(val + 1 <= n, "nasforge search: --val-examples ", val, " leaves no training examples of ", n);
  const std::vector<int64_t> perm = data::random_permutation(n, seed);
  const int64_t train_end = std::min(n, val + train);
  nas::TrialData out;
  out.val = std::make_shared<data::SubsetDataset>(full, std::vector<int64_t>(perm.begin(), perm.begin() + val));
  out.train =
      std::make_shared<data::SubsetDataset>(full, std::vector<int64_t>(perm.begin() + val, perm.begin() + train_end));
  out.train_transform = train_transform(spec);
  out.eval_transform = eval_transform(spec);
  const auto& shape = full->images().shape();
  network.image_shape.assign(shape.begin() + 1, shape.end());
  network.num_classes = full->num_classes();
  return out;
}

// What every rank needs to train trials, built from an experiment's config;
// `config` gets the data set's image shape and class count in "network".
struct TrialSetup {
  std::unique_ptr<nas::SearchSpace> space;
  std::unique_ptr<nas::Evaluator> evaluator;  // refers to *space
  int64_t train_size = 0;
};

TrialSetup make_trial_setup(json& config) {
  TrialSetup t;
  t.space = nas::make_space(config.at("space"));
  nas::NetworkConfig network = config.at("network").get<nas::NetworkConfig>();
  const auto protocol = config.at("protocol").get<nas::TrialProtocol>();
  const auto constraints = config.at("constraints").get<nas::Constraints>();
  nas::TrialData trial_data = load_trial_data(config.at("data"), protocol.seed, network);
  config["network"] = network;  // with the data set's image shape and classes
  t.train_size = trial_data.train->size();
  t.evaluator = std::make_unique<nas::Evaluator>(*t.space, network, protocol, constraints, std::move(trial_data));
  return t;
}

// The experiment a search runs in: opened (--resume) or still to be created
// (--out), with its configuration.
struct Plan {
  json config;
  std::optional<nas::Experiment> experiment;  // set when resuming
  std::string resume_dir, out;
};

Plan plan_from_flags(Flags& flags) {
  Plan p;
  p.resume_dir = flags.text("resume", "");
  p.out = flags.text("out", "");
  if (!p.resume_dir.empty()) {
    NF_CHECK(p.out.empty(), "nasforge search: pass either --out (a new search) or --resume (continue one)");
    p.experiment = nas::Experiment::open(p.resume_dir);
    p.config = p.experiment->config();
    const std::string data_dir = flags.text("data-dir", "");
    const std::string budget = flags.text("budget", "");
    flags.finish();  // every other setting is the experiment's
    if (!data_dir.empty()) p.config["data"]["data_dir"] = data_dir;
    if (!budget.empty()) p.config["budget"] = budget_json(parse_budget(budget));
#ifndef NF_WITH_MPI
    // A search of an MPI build that stopped with trials in flight lists them in
    // strategy.json ("pending", dist/async_search.h); only that code resumes them.
    auto state = p.experiment->strategy_state();
    NF_CHECK(!(state && state->contains("pending")), "nasforge search: ", p.resume_dir,
             " stopped during an MPI search with trials in flight; resume it with a nasforge built with MPI");
#endif
  } else {
    NF_CHECK(!p.out.empty(), "nasforge search: --out DIR is required (or --resume DIR)");
    p.config = config_from_flags(flags);
    flags.finish();
    NF_CHECK(!std::filesystem::exists(std::filesystem::path(p.out) / "config.json"), "nasforge search: ", p.out,
             " already holds an experiment; continue it with --resume ", p.out, " or choose another --out");
  }
  return p;
}

std::unique_ptr<nas::Strategy> make_strategy_of(const json& config, const nas::SearchSpace& space) {
  const json& s = config.at("strategy");
  return nas::make_strategy(s.at("name").get<std::string>(), space, s.at("options"), s.at("seed").get<uint64_t>());
}

// Creates the experiment (or records a changed config on resume) and prints the header.
void start_experiment(Plan& plan, const nas::SearchSpace& space, const nas::Strategy& strategy,
                      const TrialSetup& trials) {
  if (plan.experiment) {
    if (plan.config != plan.experiment->config()) plan.experiment->set_config(plan.config);
    std::cout << "resuming " << plan.resume_dir << " after " << plan.experiment->trials().size() << " trials"
              << std::endl;
  } else {
    plan.experiment = nas::Experiment::create(plan.out, plan.config);
  }
  const json& data = plan.config["data"];
  std::printf("searching the %s space (10^%.1f genotypes) with %s: each trial trains %lld epoch(s) on %lld %s images "
              "and validates on %lld\n",
              std::string(space.name()).c_str(), space.size().log10, std::string(strategy.name()).c_str(),
              static_cast<long long>(trials.evaluator->protocol().epochs), static_cast<long long>(trials.train_size),
              data["spec"].get<std::string>().c_str(), static_cast<long long>(data["val_examples"].get<int64_t>()));
  std::fflush(stdout);
}

#ifdef NF_WITH_MPI
constexpr int kConfigTag = 100;  // rank 0 -> workers: the experiment's config

// `mpirun -np N nasforge search ...` with N >= 2: rank 0 owns the strategy and
// the experiment directory; ranks 1..N-1 train the genotypes it sends
// (dist/async_search.h). Rank 0 only plans, so it keeps one thread and the
// training ranks on a host share its cores (dist/threads.h).
int search_on_ranks(Flags& flags) {
  const Device device = read_device_flag(flags);
  NF_CHECK(device.is_cpu(), "nasforge search: --device ", device.str(),
           " with several MPI ranks is not supported yet (start the search without mpirun)");
  const bool root = dist::is_root();
  const dist::RankThreads threads = dist::set_threads_per_rank(!root);
  if (!root) {
    json config = dist::recv_json(0, kConfigTag).body;
    TrialSetup trials = make_trial_setup(config);
    dist::serve_trials([&](const nas::Genotype& g) { return trials.evaluator->evaluate(g); });
    return 0;
  }
  Plan plan = plan_from_flags(flags);
  TrialSetup trials = make_trial_setup(plan.config);
  auto strategy = make_strategy_of(plan.config, *trials.space);
  const nas::SearchBudget budget = budget_from(plan.config.at("budget"));
  start_experiment(plan, *trials.space, *strategy, trials);
  for (int r = 1; r < dist::size(); ++r) dist::send_json(plan.config, r, kConfigTag);
  std::printf("%d MPI ranks: rank 0 plans, %d train trials (up to %d OpenMP threads each)\n", dist::size(),
              dist::size() - 1, threads.most);
  std::fflush(stdout);
  trials.evaluator.reset();  // rank 0 trains nothing: free its copy of the data
  nas::Experiment& experiment = *plan.experiment;
  SearchDisplay display(std::cout, false, budget);  // per-trial lines; trials train elsewhere
  {
    dist::MpiTrialPool pool;
    dist::run_async_search(experiment, *strategy, pool, budget,
                           {.on_trial_start = {},
                            .on_trial_end = [&](const nas::Experiment& e) { display.trial_finished(e); }});
  }  // the pool tells the workers to stop
  display.summary(experiment);
  write_report_after_search(experiment.dir(), std::cout);  // never throws: prints a warning instead
  return 0;
}
#endif

}  // namespace

int cmd_search(Flags& flags) {
#ifdef NF_WITH_MPI
  if (dist::launched() && dist::size() > 1) {
    if (!Flags(flags).has("help")) {
      if (auto rc = cmd_search_darts(flags)) return *rc;  // --strategy darts: data-parallel on every rank
      return dist::run_or_abort([&] { return search_on_ranks(flags); });
    }
    if (!dist::is_root()) return 0;  // the help text once
  }
#endif
  if (auto rc = cmd_search_darts(flags)) return *rc;  // --strategy darts: a one-shot search
  if (flags.has("help")) {
    std::cout << kHelp;
    return 0;
  }
  // Everything is checked before the first file is written.
  const Device device = read_device_flag(flags);
  Plan plan = plan_from_flags(flags);
  check_device_usable("search", device);
  TrialSetup trials = make_trial_setup(plan.config);
  trials.evaluator->set_device(device);
  auto strategy = make_strategy_of(plan.config, *trials.space);
  const nas::SearchBudget budget = budget_from(plan.config.at("budget"));
  start_experiment(plan, *trials.space, *strategy, trials);
  nas::Experiment& experiment = *plan.experiment;

  SearchDisplay display(std::cout, stdout_is_tty(), budget);
  nas::SearchCallbacks callbacks{
      .on_trial_start = [&](int64_t trial, const nas::Genotype&) { display.trial_started(trial); },
      .on_trial_end = [&](const nas::Experiment& e) { display.trial_finished(e); }};
  const nas::EvaluateFn evaluate = [&](const nas::Genotype& g) {
    return trials.evaluator->evaluate(g, [&](const nas::StepProgress& p) { display.step(p); });
  };
#ifdef NF_WITH_MPI
  // One trial at a time in this process, by the loop that also resumes an
  // MPI search stopped with trials in flight.
  dist::LocalTrialPool pool(evaluate);
  dist::run_async_search(experiment, *strategy, pool, budget, callbacks);
#else
  nas::run_search(experiment, *strategy, evaluate, budget, callbacks);
#endif
  display.summary(experiment);
  write_report_after_search(experiment.dir(), std::cout);  // never throws: prints a warning instead
  return 0;
}

}  // namespace nf::tools
