// `nasforge search` end to end on a tiny synthetic data set in the Fashion-MNIST
// layout (tests/cli_util.h): the experiment files, resume with a larger budget,
// resume after `kill -9` of the real program, retraining the winner with
// `nasforge train --genotype`, and bad flags.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli_util.h"
#include "tools/commands.h"

using namespace cli_test;
using json = nlohmann::json;

namespace {

std::vector<json> read_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

class CliSearch : public testing::Test {
 protected:
  void SetUp() override { write_synthetic(data.path); }
  // A small, fast search: 4-channel NB201 networks on 8x8 images.
  std::vector<std::string> args(const fs::path& out, const std::string& budget, const std::string& strategy = "evolution") {
    return {"--space", "nb201", "--strategy", strategy, "--channels", "4", "--budget", budget,
            "--train-examples", "160", "--val-examples", "100", "--batch-size", "32",
            "--data-dir", data.path.string(), "--seed", "2", "--out", out.string()};
  }
  TempDir data, runs;
};

}  // namespace

TEST_F(CliSearch, WritesTheExperimentResumesWithALargerBudgetAndRetrainsTheBest) {
  const fs::path dir = runs.path / "exp";
  Outcome first = run(nf::tools::cmd_search, "search", args(dir, "3"));
  ASSERT_EQ(first.rc, 0) << first.error;
  for (const char* file : {"config.json", "trials.jsonl", "strategy.json", "best.json", "pareto.json"})
    EXPECT_TRUE(fs::exists(dir / file)) << file;
  EXPECT_EQ(read_lines(dir / "trials.jsonl").size(), 3u);
  EXPECT_NE(first.out.find("best: trial"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("nasforge train --genotype"), std::string::npos) << first.out;

  Outcome more = run(nf::tools::cmd_search, "search", {"--resume", dir.string(), "--budget", "5"});
  ASSERT_EQ(more.rc, 0) << more.error;
  EXPECT_NE(more.out.find("resuming"), std::string::npos);
  const auto trials = read_lines(dir / "trials.jsonl");
  ASSERT_EQ(trials.size(), 5u);
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i]["trial"].get<size_t>(), i);
    if (!trials[i]["failed"].get<bool>()) {
      EXPECT_GT(trials[i]["params"].get<int64_t>(), 0);
      EXPECT_GT(trials[i]["macs"].get<int64_t>(), 0);
      EXPECT_GE(trials[i]["val_accuracy"].get<double>(), 0.0);
    }
  }

  const fs::path retrain = runs.path / "retrain";
  Outcome train = run(nf::tools::cmd_train, "train",
                      {"--genotype", (dir / "best.json").string(), "--epochs", "1", "--batch-size", "32",
                       "--data-dir", data.path.string(), "--out", retrain.string()});
  ASSERT_EQ(train.rc, 0) << train.error;
  std::ifstream config_in(retrain / "config.json");
  const json config = json::parse(config_in);
  EXPECT_EQ(config["model"], "genotype");
  std::ifstream best_in(dir / "best.json");
  EXPECT_EQ(config["architecture"]["genotype"], json::parse(best_in)["genotype"]);
  Outcome eval = run(nf::tools::cmd_eval, "eval", {"--checkpoint", retrain.string()});
  ASSERT_EQ(eval.rc, 0) << eval.error;
  EXPECT_NE(eval.out.find("test accuracy"), std::string::npos);
}

// The real program, killed with SIGKILL in the middle of its search, then
// resumed: the trials form one unbroken sequence, equal to an uninterrupted run's.
TEST_F(CliSearch, ResumeAfterKillNineLosesAndRepeatsNoTrial) {
  const fs::path killed = runs.path / "killed", whole = runs.path / "whole";
  std::vector<std::string> argv_s = {"search"};
  for (auto& a : args(killed, "40", "reinforce")) argv_s.push_back(a);
  const pid_t pid = spawn_nasforge(argv_s);
  // Kill it once it has finished three trials (or after 60 s).
  size_t lines = 0;
  wait_until([&] { return (lines = count_lines(killed / "trials.jsonl")) >= 3; }, std::chrono::seconds(60));
  ASSERT_TRUE(kill_nine(pid)) << "the search ended before it was killed";
  ASSERT_GE(lines, 3u);

  Outcome resumed = run(nf::tools::cmd_search, "search", {"--resume", killed.string(), "--budget", "8"});
  ASSERT_EQ(resumed.rc, 0) << resumed.error;
  Outcome uninterrupted = run(nf::tools::cmd_search, "search", args(whole, "8", "reinforce"));
  ASSERT_EQ(uninterrupted.rc, 0) << uninterrupted.error;
  const auto a = read_lines(killed / "trials.jsonl"), b = read_lines(whole / "trials.jsonl");
  ASSERT_EQ(a.size(), 8u);
  ASSERT_EQ(b.size(), 8u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["trial"].get<size_t>(), i);
    EXPECT_EQ(a[i]["genotype"], b[i]["genotype"]) << "trial " << i;
  }
}

TEST_F(CliSearch, BadFlagsAreOneLineErrorsNamingTheFlag) {
  auto error_of = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = args(runs.path / "bad", "3");
    a.insert(a.end(), extra.begin(), extra.end());
    return run(nf::tools::cmd_search, "search", a).error;
  };
  EXPECT_NE(error_of({"--budget", "10x"}).find("--budget"), std::string::npos);
  EXPECT_NE(error_of({"--space", "resnet"}).find("--space"), std::string::npos);
  EXPECT_NE(error_of({"--strategy", "bayes"}).find("--strategy"), std::string::npos);
  EXPECT_NE(error_of({"--strategy-options", "{"}).find("--strategy-options"), std::string::npos);
  EXPECT_NE(error_of({"--strategy-options", R"({"population_size": 1})"}).find("population_size"), std::string::npos);
  EXPECT_NE(error_of({"--layers", "4"}).find("--layers"), std::string::npos);
  EXPECT_NE(error_of({"--val-examples", "5000"}).find("--val-examples"), std::string::npos);
  EXPECT_NE(error_of({"--epoch", "2"}).find("--epoch"), std::string::npos);
  EXPECT_FALSE(fs::exists(runs.path / "bad")) << "nothing is written before the flags are checked";
  EXPECT_NE(run(nf::tools::cmd_search, "search", {"--resume", (runs.path / "none").string()}).error.find("config.json"),
            std::string::npos);
  EXPECT_NE(run(nf::tools::cmd_search, "search", {"--budget", "3"}).error.find("--out"), std::string::npos);
  // A broken --genotype file for a retrain names the file and the problem.
  const fs::path bad = runs.path / "bad.json";
  std::ofstream(bad) << R"({"space": "nb201", "ops": ["nor_conv_3x3"]})";
  auto train_error = [&](const std::string& file) {
    return run(nf::tools::cmd_train, "train",
               {"--genotype", file, "--data-dir", data.path.string(), "--out", (runs.path / "r").string()})
        .error;
  };
  EXPECT_NE(train_error(bad.string()).find("bad.json"), std::string::npos);
  EXPECT_NE(train_error(bad.string()).find("ops"), std::string::npos) << train_error(bad.string());
  EXPECT_NE(train_error((runs.path / "none.json").string()).find("cannot read --genotype"), std::string::npos);
  EXPECT_FALSE(fs::exists(runs.path / "r"));
  Outcome help = run(nf::tools::cmd_search, "search", {"--help"});
  EXPECT_EQ(help.rc, 0);
  EXPECT_NE(help.out.find("--strategy"), std::string::npos);
}
