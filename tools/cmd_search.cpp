// `nasforge search`: a multi-trial NAS experiment (nas/search.h) on a data set,
// from flags; `--resume DIR` continues one from its directory.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/split.h"
#include "nas/evaluator.h"
#include "nas/experiment.h"
#include "nas/search.h"
#include "nas/space.h"
#include "nas/strategy.h"
#include "tensor/error.h"
#include "tools/commands.h"
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

}  // namespace

int cmd_search(Flags& flags) {
  if (auto rc = cmd_search_darts(flags)) return *rc;  // --strategy darts: a one-shot search
  if (flags.has("help")) {
    std::cout << kHelp;
    return 0;
  }
  const std::string resume_dir = flags.text("resume", ""), out = flags.text("out", "");
  json config;
  std::optional<nas::Experiment> experiment;
  if (!resume_dir.empty()) {
    NF_CHECK(out.empty(), "nasforge search: pass either --out (a new search) or --resume (continue one)");
    experiment = nas::Experiment::open(resume_dir);
    config = experiment->config();
    const std::string data_dir = flags.text("data-dir", "");
    const std::string budget = flags.text("budget", "");
    flags.finish();  // every other setting is the experiment's
    if (!data_dir.empty()) config["data"]["data_dir"] = data_dir;
    if (!budget.empty()) config["budget"] = budget_json(parse_budget(budget));
  } else {
    NF_CHECK(!out.empty(), "nasforge search: --out DIR is required (or --resume DIR)");
    config = config_from_flags(flags);
    flags.finish();
    NF_CHECK(!std::filesystem::exists(std::filesystem::path(out) / "config.json"), "nasforge search: ", out,
             " already holds an experiment; continue it with --resume ", out, " or choose another --out");
  }

  // Everything is checked before the first file is written.
  auto space = nas::make_space(config.at("space"));
  const json& strategy_config = config.at("strategy");
  auto strategy = nas::make_strategy(strategy_config.at("name").get<std::string>(), *space,
                                     strategy_config.at("options"), strategy_config.at("seed").get<uint64_t>());
  nas::NetworkConfig network = config.at("network").get<nas::NetworkConfig>();
  const auto protocol = config.at("protocol").get<nas::TrialProtocol>();
  const auto constraints = config.at("constraints").get<nas::Constraints>();
  const nas::SearchBudget budget = budget_from(config.at("budget"));
  nas::TrialData trial_data = load_trial_data(config.at("data"), protocol.seed, network);
  config["network"] = network;  // with the data set's image shape and classes
  const int64_t train_size = trial_data.train->size();
  nas::Evaluator evaluator(*space, network, protocol, constraints, std::move(trial_data));

  if (experiment) {
    if (config != experiment->config()) experiment->set_config(config);
    std::cout << "resuming " << resume_dir << " after " << experiment->trials().size() << " trials" << std::endl;
  } else {
    experiment = nas::Experiment::create(out, config);
  }
  const json& data = config["data"];
  std::printf("searching the %s space (10^%.1f genotypes) with %s: each trial trains %lld epoch(s) on %lld %s images "
              "and validates on %lld\n",
              std::string(space->name()).c_str(), space->size().log10, std::string(strategy->name()).c_str(),
              static_cast<long long>(protocol.epochs), static_cast<long long>(train_size),
              data["spec"].get<std::string>().c_str(), static_cast<long long>(data["val_examples"].get<int64_t>()));
  std::fflush(stdout);

  SearchDisplay display(std::cout, stdout_is_tty(), budget);
  nas::SearchCallbacks callbacks{
      .on_trial_start = [&](int64_t trial, const nas::Genotype&) { display.trial_started(trial); },
      .on_trial_end = [&](const nas::Experiment& e) { display.trial_finished(e); }};
  nas::run_search(
      *experiment, *strategy,
      [&](const nas::Genotype& g) { return evaluator.evaluate(g, [&](const nas::StepProgress& p) { display.step(p); }); },
      budget, callbacks);
  display.summary(*experiment);
  write_report_after_search(experiment->dir(), std::cout);  // never throws: prints a warning instead
  return 0;
}

}  // namespace nf::tools
