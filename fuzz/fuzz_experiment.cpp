// libFuzzer target: the files a search reads back on `nasforge search
// --resume` (nas/experiment.cpp, nas/search.cpp and what they call):
// config.json, trials.jsonl and strategy.json, packed into one input
// separated by '\0' (a missing piece: that file is absent). The resume is
// played as tools/cmd_search.cpp plays it, with a stand-in evaluation, for
// at most one new trial.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_util.h"
#include "nas/evaluator.h"
#include "nas/experiment.h"
#include "nas/network.h"
#include "nas/search.h"
#include "nas/space.h"
#include "nas/strategy.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void write_piece(const std::string& name, std::string_view piece) {
  nf::fuzz::write_file("experiment/" + name, reinterpret_cast<const uint8_t*>(piece.data()), piece.size());
}

void resume(const fs::path& dir) {
  nf::nas::Experiment e = nf::nas::Experiment::open(dir);
  const json& config = e.config();
  // Missing or mistyped top-level settings are the command line's to report
  // (tools/cmd_search.cpp); the readers below get what it would pass them.
  if (!config.contains("space") || !config.contains("strategy")) return;
  const json& s = config["strategy"];
  if (!s.is_object() || !s.contains("name") || !s["name"].is_string() || !s.contains("options") ||
      !s.contains("seed") || !s["seed"].is_number_unsigned())
    return;
  auto space = nf::nas::make_space(config["space"]);
  auto strategy =
      nf::nas::make_strategy(s["name"].get<std::string>(), *space, s["options"], s["seed"].get<uint64_t>());
  if (config.contains("network")) (void)config["network"].get<nf::nas::NetworkConfig>();
  if (config.contains("protocol")) (void)config["protocol"].get<nf::nas::TrialProtocol>();
  if (config.contains("constraints")) (void)config["constraints"].get<nf::nas::Constraints>();
  auto evaluate = [](const nf::nas::Genotype&) {
    nf::nas::Evaluation ev;
    ev.val_accuracy = 0.5;
    ev.seconds = 1;
    return ev;
  };
  nf::nas::SearchBudget budget;
  budget.max_trials = int64_t(e.trials().size()) + 1;
  nf::nas::run_search(e, *strategy, evaluate, budget);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path dir = nf::fuzz::scratch_dir() / "experiment";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::vector<std::string_view> parts = nf::fuzz::split_nul(data, size);
  const char* names[] = {"config.json", "trials.jsonl", "strategy.json"};
  for (size_t i = 0; i < parts.size() && i < 3; ++i) write_piece(names[i], parts[i]);
  nf::fuzz::expect_errors([&] { resume(dir); });
  return 0;
}
