// `kill -9` of the real nasforge program at several random moments, each time
// resumed with --resume: a training run ends with every epoch logged once and
// the same weights as an uninterrupted run; a search ends with every trial
// index exactly once. The moments are seeded: after a random number of
// finished epochs/trials, plus a random delay of up to 40 ms (so the kill
// lands anywhere in an epoch, including between the metrics line and the
// checkpoint).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli_util.h"
#include "tools/commands.h"

using namespace cli_test;
using json = nlohmann::json;

namespace {

// Every line of a JSON-lines file, each of which must parse.
std::vector<json> read_jsonl(const fs::path& path) {
  std::ifstream in(path);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << path << ": a line does not parse: '" << line << "'";
    if (!j.is_discarded()) lines.push_back(j);
  }
  return lines;
}

json read_json(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in, nullptr, false);
}

// Runs `args` (a nasforge command line) in a child and SIGKILLs it after
// `file` has `lines` lines plus `delay_ms`. Returns true when the kill ended it
// (false: it finished first).
bool start_and_kill(const std::vector<std::string>& args, const fs::path& file, size_t lines, int delay_ms) {
  const pid_t pid = spawn_nasforge(args);
  wait_until([&] { return count_lines(file) >= lines; }, std::chrono::seconds(30));
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  return kill_nine(pid);
}

class CliKillResume : public testing::Test {
 protected:
  void SetUp() override { write_synthetic(data.path); }
  TempDir data, runs;
};

}  // namespace

TEST_F(CliKillResume, TrainingKilledThreeTimesEndsLikeAnUninterruptedRun) {
  constexpr int kEpochs = 8;
  const fs::path killed = runs.path / "killed", whole = runs.path / "whole";
  auto args = [&](const fs::path& out) {
    return std::vector<std::string>{"--model", "mlp", "--data-dir", data.path.string(), "--batch-size", "32",
                                    "--limit", "160", "--seed", "5", "--lr", "0.05",
                                    "--epochs", std::to_string(kEpochs), "--out", out.string()};
  };
  std::mt19937 rng(2026);
  int kills = 0;
  size_t after = 0;
  for (int k = 0; k < 3; ++k) {
    // A fresh start while no checkpoint exists (--resume refuses one), else --resume.
    const bool resumable = fs::exists(killed / "checkpoint.safetensors");
    std::vector<std::string> cmd = {"train"};
    if (resumable) {
      cmd.insert(cmd.end(), {"--out", killed.string(), "--resume"});
    } else {
      auto a = args(killed);
      cmd.insert(cmd.end(), a.begin(), a.end());
    }
    after = std::min<size_t>(kEpochs - 1, count_lines(killed / "metrics.jsonl") + std::uniform_int_distribution<size_t>(0, 2)(rng));
    kills += start_and_kill(cmd, killed / "metrics.jsonl", after, std::uniform_int_distribution<int>(0, 40)(rng));
    // Nothing half-written: what exists parses.
    if (fs::exists(killed / "config.json")) EXPECT_FALSE(read_json(killed / "config.json").is_discarded());
    read_jsonl(killed / "metrics.jsonl");
  }
  EXPECT_GE(kills, 2) << "the run should still be training when killed";
  ProcessResult last = run_nasforge({"train", "--out", killed.string(), "--resume"});
  ASSERT_EQ(last.rc, 0) << last.err;
  EXPECT_NE(last.out.find("resuming"), std::string::npos) << last.out;

  Outcome reference = run(nf::tools::cmd_train, "train", args(whole));
  ASSERT_EQ(reference.rc, 0) << reference.error;

  const auto a = read_jsonl(killed / "metrics.jsonl"), b = read_jsonl(whole / "metrics.jsonl");
  ASSERT_EQ(a.size(), size_t(kEpochs));
  ASSERT_EQ(b.size(), size_t(kEpochs));
  for (int e = 0; e < kEpochs; ++e) {
    EXPECT_EQ(a[e]["epoch"], e + 1);
    // Same RNG state after each resume: the same losses, bit for bit.
    EXPECT_EQ(a[e]["train_loss"], b[e]["train_loss"]) << "epoch " << e + 1;
    EXPECT_EQ(a[e]["test_acc"], b[e]["test_acc"]) << "epoch " << e + 1;
    EXPECT_EQ(a[e]["lr"], b[e]["lr"]) << "epoch " << e + 1;
  }
  const json config = read_json(killed / "config.json");
  ASSERT_FALSE(config.is_discarded());
  EXPECT_EQ(config, read_json(whole / "config.json"));
  // The final weights and optimizer state: the same bytes.
  EXPECT_TRUE(read_text(killed / "checkpoint.safetensors") == read_text(whole / "checkpoint.safetensors"))
      << "the resumed run's final checkpoint differs from the uninterrupted run's";
  EXPECT_FALSE(fs::exists(killed / "checkpoint.safetensors.tmp"));
  Outcome eval = run(nf::tools::cmd_eval, "eval", {"--checkpoint", killed.string()});
  ASSERT_EQ(eval.rc, 0) << eval.error;
  EXPECT_NE(eval.out.find("after " + std::to_string(kEpochs) + " epochs"), std::string::npos) << eval.out;
}

TEST_F(CliKillResume, SearchKilledThreeTimesLosesAndRepeatsNoTrial) {
  constexpr size_t kBudget = 7;
  const fs::path dir = runs.path / "search";
  const std::vector<std::string> fresh = {
      "search", "--space", "nb201", "--strategy", "evolution", "--channels", "4", "--budget", std::to_string(kBudget),
      "--train-examples", "160", "--val-examples", "100", "--batch-size", "32", "--data-dir", data.path.string(),
      "--seed", "4", "--out", dir.string()};
  std::mt19937 rng(77);
  int kills = 0;
  for (int k = 0; k < 3; ++k) {
    const bool resumable = fs::exists(dir / "config.json");
    const std::vector<std::string> cmd =
        resumable ? std::vector<std::string>{"search", "--resume", dir.string()} : fresh;
    const size_t after = std::min(kBudget - 1, count_lines(dir / "trials.jsonl") + std::uniform_int_distribution<size_t>(0, 1)(rng));
    kills += start_and_kill(cmd, dir / "trials.jsonl", after, std::uniform_int_distribution<int>(0, 40)(rng));
    // Every line written so far parses and the indices run 0, 1, 2, ...
    const auto trials = read_jsonl(dir / "trials.jsonl");
    for (size_t i = 0; i < trials.size(); ++i) EXPECT_EQ(trials[i]["trial"], i) << "after kill " << k + 1;
  }
  EXPECT_GE(kills, 2) << "the search should still be running when killed";
  ProcessResult last = run_nasforge({"search", "--resume", dir.string()});
  ASSERT_EQ(last.rc, 0) << last.err;
  const auto trials = read_jsonl(dir / "trials.jsonl");
  ASSERT_EQ(trials.size(), kBudget);
  std::set<size_t> seen;
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i]["trial"].get<size_t>(), i);
    seen.insert(trials[i]["trial"].get<size_t>());
  }
  EXPECT_EQ(seen.size(), kBudget);
  for (const char* file : {"config.json", "strategy.json", "best.json"})
    EXPECT_FALSE(read_json(dir / file).is_discarded()) << file;
}
