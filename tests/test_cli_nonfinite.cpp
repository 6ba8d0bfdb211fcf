// The NaN/Inf policy on the command line: `nasforge train --on-nonfinite
// fail|skip [--max-skipped-steps K]` (a diverging run stops with one line
// naming the epoch and batch) and the search's trial protocol (stored in
// config.json, kept by --resume, skipped steps in every trial record).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
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

json read_json(const fs::path& path) { return json::parse(read_text(path)); }

class CliNonFinite : public testing::Test {
 protected:
  void SetUp() override { write_synthetic(data.path); }
  fs::path out() const { return runs.path / "run"; }
  // An MLP on 64 examples in batches of 8; `extra` is appended.
  std::vector<std::string> train(const std::vector<std::string>& extra) const {
    std::vector<std::string> a = {"train", "--model", "mlp", "--data-dir", data.path.string(), "--limit", "64",
                                  "--batch-size", "8", "--epochs", "2", "--out", out().string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  // One line on stderr, non-zero exit, not a crash.
  static void expect_one_line_error(const ProcessResult& r, const std::string& names) {
    EXPECT_NE(r.rc, 0) << r.out;
    EXPECT_NE(r.rc, -1) << "killed by a signal";
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(names), std::string::npos) << "stderr does not name '" << names << "': " << r.err;
  }
  TempDir data, runs;
};

}  // namespace

TEST_F(CliNonFinite, TrainDivergingUnderFailStopsWithOneLineNamingEpochAndBatch) {
  // lr 100 (the flag's maximum) makes this MLP's loss NaN within the first epoch.
  const ProcessResult r = run_nasforge(train({"--lr", "100"}));
  expect_one_line_error(r, "nasforge train: loss became nan at epoch 1 batch ");
  EXPECT_NE(r.err.find("/8; training stopped (no checkpoint was written)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--on-nonfinite skip"), std::string::npos) << r.err;  // the way out is named
  EXPECT_FALSE(fs::exists(out() / "checkpoint.safetensors"));
  EXPECT_EQ(read_json(out() / "config.json")["on-nonfinite"], "fail");
  // Beyond the flag's range the run never starts: the line names --lr.
  fs::remove_all(out());
  expect_one_line_error(run_nasforge(train({"--lr", "1e30"})), "--lr must be in [");
}

TEST_F(CliNonFinite, TrainUnderSkipFailsAsDivergedAfterKStepsInARow) {
  const ProcessResult r = run_nasforge(train({"--lr", "100", "--on-nonfinite", "skip", "--max-skipped-steps", "3"}));
  expect_one_line_error(r, "training diverged: 4 non-finite steps in a row (at most 3 may be skipped in a row; "
                           "3 skipped in all); the last: loss became nan at epoch 1 batch ");
}

TEST_F(CliNonFinite, BadPolicyFlagsAreOneLineErrorsAndCreateNothing) {
  expect_one_line_error(run_nasforge(train({"--on-nonfinite", "bogus"})),
                        "nasforge train: --on-nonfinite must be fail or skip, got 'bogus'");
  expect_one_line_error(run_nasforge(train({"--max-skipped-steps", "3"})),
                        "--max-skipped-steps applies to --on-nonfinite skip only");
  expect_one_line_error(run_nasforge(train({"--on-nonfinite", "skip", "--max-skipped-steps", "0"})),
                        "--max-skipped-steps must be in [1, ");
  EXPECT_FALSE(fs::exists(out()));
  const std::vector<std::string> search = {"search", "--space", "nb201", "--channels", "4", "--budget", "1",
                                           "--data-dir", data.path.string(), "--out", out().string(),
                                           "--on-nonfinite", "ignore"};
  expect_one_line_error(run_nasforge(search), "nasforge search: --on-nonfinite must be fail or skip, got 'ignore'");
  EXPECT_FALSE(fs::exists(out()));
  const std::vector<std::string> darts = {"search", "--strategy", "darts", "--space", "nb201", "--channels", "2",
                                          "--data-dir", data.path.string(), "--out", out().string()};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = darts;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  expect_one_line_error(run_nasforge(with({"--on-nonfinite", "ignore"})),
                        "nasforge search: --on-nonfinite must be fail or skip, got 'ignore'");
  expect_one_line_error(run_nasforge(with({"--max-skipped-steps", "3"})),
                        "nasforge search: --max-skipped-steps applies to --on-nonfinite skip only");
  EXPECT_FALSE(fs::exists(out()));
}

TEST_F(CliNonFinite, TrainUnderSkipReportsSkipsAndAResumeMayChangeThePolicy) {
  Outcome first = run(nf::tools::cmd_train, "train",
                      {"--model", "mlp", "--data-dir", data.path.string(), "--limit", "64", "--batch-size", "16",
                       "--epochs", "1", "--out", out().string(), "--on-nonfinite", "skip", "--max-skipped-steps", "4"});
  ASSERT_EQ(first.rc, 0) << first.error;
  EXPECT_NE(first.out.find("non-finite steps skipped: 0 (--on-nonfinite skip)"), std::string::npos) << first.out;
  const json config = read_json(out() / "config.json");
  EXPECT_EQ(config["on-nonfinite"], "skip");
  EXPECT_EQ(config["max-skipped-steps"], 4);
  auto metrics = read_lines(out() / "metrics.jsonl");
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_EQ(metrics[0]["skipped_steps"], 0);

  // A run written before the policy existed (no such keys) resumes as fail;
  // the policy is not part of what is trained, so a resume may change it.
  json old = config;
  old.erase("on-nonfinite");
  old.erase("max-skipped-steps");
  std::ofstream(out() / "config.json") << old.dump(2) << "\n";
  Outcome second = run(nf::tools::cmd_train, "train", {"--out", out().string(), "--resume", "--epochs", "2"});
  ASSERT_EQ(second.rc, 0) << second.error;
  EXPECT_EQ(read_json(out() / "config.json")["on-nonfinite"], "fail");
  metrics = read_lines(out() / "metrics.jsonl");
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_FALSE(metrics[1].contains("skipped_steps"));  // only under skip
  Outcome third = run(nf::tools::cmd_train, "train",
                      {"--out", out().string(), "--resume", "--epochs", "3", "--on-nonfinite", "skip"});
  ASSERT_EQ(third.rc, 0) << third.error;
  EXPECT_EQ(read_json(out() / "config.json")["on-nonfinite"], "skip");
  EXPECT_EQ(read_lines(out() / "metrics.jsonl").back()["skipped_steps"], 0);
}

TEST_F(CliNonFinite, SearchStoresThePolicyAndResumeKeepsIt) {
  const fs::path dir = runs.path / "exp";
  Outcome first = run(nf::tools::cmd_search, "search",
                      {"--space", "nb201", "--strategy", "random", "--channels", "4", "--budget", "1",
                       "--train-examples", "64", "--val-examples", "32", "--batch-size", "32", "--data-dir",
                       data.path.string(), "--out", dir.string(), "--on-nonfinite", "skip", "--max-skipped-steps",
                       "5"});
  ASSERT_EQ(first.rc, 0) << first.error;
  const json protocol = read_json(dir / "config.json")["protocol"];
  EXPECT_EQ(protocol["on_nonfinite"], "skip");
  EXPECT_EQ(protocol["max_skipped_steps"], 5);
  Outcome more = run(nf::tools::cmd_search, "search", {"--resume", dir.string(), "--budget", "2"});
  ASSERT_EQ(more.rc, 0) << more.error;
  EXPECT_EQ(read_json(dir / "config.json")["protocol"], protocol);
  const auto trials = read_lines(dir / "trials.jsonl");
  ASSERT_EQ(trials.size(), 2u);
  for (const json& t : trials) {
    ASSERT_TRUE(t.contains("skipped_steps")) << t.dump();
    EXPECT_EQ(t["skipped_steps"], 0) << t.dump();
  }
}
