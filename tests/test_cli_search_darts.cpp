// `nasforge search --strategy darts` end to end on a tiny synthetic data set in
// the Fashion-MNIST layout (tests/cli_util.h): the experiment files, resume
// with more epochs, retraining best.json with `nasforge train --genotype`, the
// DARTS space in second order, and bad flags.
#include <gtest/gtest.h>

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

json read_json(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

class CliSearchDarts : public testing::Test {
 protected:
  void SetUp() override { write_synthetic(data.path); }
  std::vector<std::string> args(const fs::path& out, const std::string& space, const std::string& epochs) {
    return {"--strategy", "darts", "--space", space, "--channels", "2", "--cells", space == "darts" ? "2" : "1",
            "--epochs", epochs, "--batch-size", "16", "--train-examples", "96", "--data-dir", data.path.string(),
            "--out", out.string()};
  }
  TempDir data, runs;
};

}  // namespace

TEST_F(CliSearchDarts, Nb201WritesTheFilesResumesAndItsBestRetrains) {
  const fs::path dir = runs.path / "nb201";
  Outcome first = run(nf::tools::cmd_search, "search", args(dir, "nb201", "2"));
  ASSERT_EQ(first.rc, 0) << first.error;
  for (const char* file : {"config.json", "alphas.jsonl", "genotypes.jsonl", "best.json", "checkpoint.safetensors", "report.html"})
    EXPECT_TRUE(fs::exists(dir / file)) << file;
  EXPECT_NE(first.out.find("DARTS (first order) on the nb201 space"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("epoch 2/2"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("val acc"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("cell: "), std::string::npos) << first.out;  // the top ops
  EXPECT_NE(first.out.find("derived genotype after epoch 2: |"), std::string::npos) << first.out;

  const auto alphas = read_lines(dir / "alphas.jsonl");
  ASSERT_EQ(alphas.size(), 2u);
  for (size_t e = 0; e < alphas.size(); ++e) {
    EXPECT_EQ(alphas[e]["epoch"], e + 1);
    ASSERT_EQ(alphas[e]["cell"].size(), 6u);
    double sum = 0;
    for (const auto& p : alphas[e]["cell"][3]) sum += p.get<double>();
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
  EXPECT_EQ(alphas[0]["ops"][3], "nor_conv_3x3");
  const auto genotypes = read_lines(dir / "genotypes.jsonl");
  ASSERT_EQ(genotypes.size(), 2u);
  EXPECT_EQ(genotypes[1]["steps"], 3);  // 48 examples per half, batch 16
  const json best = read_json(dir / "best.json");
  EXPECT_EQ(best["genotype"], genotypes[1]["genotype"]);
  EXPECT_EQ(best["notation"], genotypes[1]["notation"]);
  EXPECT_EQ(best["space"]["space"], "nb201");
  EXPECT_EQ(best["network"]["channels"], 2);
  EXPECT_EQ(best["network"]["image_shape"], json::array({1, 8, 8}));
  for (const char* key : {"trial", "val_accuracy", "params", "macs", "latency_ms", "data"})
    EXPECT_TRUE(best.contains(key)) << key;

  Outcome more = run(nf::tools::cmd_search, "search", {"--resume", dir.string(), "--epochs", "3"});
  ASSERT_EQ(more.rc, 0) << more.error;
  EXPECT_NE(more.out.find("resuming " + dir.string() + " after epoch 2 of 3"), std::string::npos) << more.out;
  EXPECT_EQ(read_lines(dir / "alphas.jsonl").size(), 3u);
  EXPECT_EQ(read_json(dir / "best.json")["epoch"], 3);
  EXPECT_EQ(read_json(dir / "config.json")["darts"]["epochs"], 3);

  const fs::path retrain = runs.path / "retrain";
  Outcome train = run(nf::tools::cmd_train, "train",
                      {"--genotype", (dir / "best.json").string(), "--epochs", "1", "--batch-size", "32",
                       "--data-dir", data.path.string(), "--out", retrain.string()});
  ASSERT_EQ(train.rc, 0) << train.error;
  EXPECT_EQ(read_json(retrain / "config.json")["architecture"]["genotype"], read_json(dir / "best.json")["genotype"]);
  EXPECT_NE(train.out.find("test accuracy"), std::string::npos) << train.out;
}

TEST_F(CliSearchDarts, DartsSpaceSecondOrderDerivesACellThatRetrains) {
  const fs::path dir = runs.path / "darts";
  std::vector<std::string> a = args(dir, "darts", "1");
  a.insert(a.end(), {"--order", "2"});
  Outcome r = run(nf::tools::cmd_search, "search", a);
  ASSERT_EQ(r.rc, 0) << r.error;
  EXPECT_NE(r.out.find("DARTS (second order) on the darts space"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("derived genotype after epoch 1: Genotype(normal=["), std::string::npos) << r.out;
  const auto alphas = read_lines(dir / "alphas.jsonl");
  ASSERT_EQ(alphas.size(), 1u);
  EXPECT_EQ(alphas[0]["normal"].size(), 14u);
  EXPECT_EQ(alphas[0]["reduce"][0].size(), 8u);
  const json best = read_json(dir / "best.json");
  for (const auto& cell : {best["genotype"]["normal"], best["genotype"]["reduce"]})
    for (const auto& edge : cell) EXPECT_NE(edge[0], "none");  // DARTS never derives 'none'
  EXPECT_EQ(read_json(dir / "config.json")["darts"]["order"], 2);

  Outcome train = run(nf::tools::cmd_train, "train",
                      {"--genotype", (dir / "best.json").string(), "--epochs", "1", "--batch-size", "32", "--limit",
                       "64", "--data-dir", data.path.string(), "--out", (runs.path / "retrain").string()});
  ASSERT_EQ(train.rc, 0) << train.error;
}

TEST_F(CliSearchDarts, BadFlagsAndHelp) {
  auto error_of = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = args(runs.path / "bad", "nb201", "1");
    a.insert(a.end(), extra.begin(), extra.end());
    return run(nf::tools::cmd_search, "search", a).error;
  };
  EXPECT_NE(error_of({"--order", "3"}).find("--order"), std::string::npos);
  EXPECT_NE(error_of({"--budget", "10m"}).find("--budget"), std::string::npos);  // multi-trial flags are rejected
  std::vector<std::string> macro = args(runs.path / "bad", "macro", "1");
  EXPECT_NE(run(nf::tools::cmd_search, "search", macro).error.find("--space darts or nb201"), std::string::npos);
  EXPECT_FALSE(fs::exists(runs.path / "bad")) << "nothing is written before the flags are checked";
  Outcome help = run(nf::tools::cmd_search, "search", {"--strategy", "darts", "--help"});
  EXPECT_EQ(help.rc, 0);
  EXPECT_NE(help.out.find("--order 1|2"), std::string::npos);
  Outcome general = run(nf::tools::cmd_search, "search", {"--help"});
  EXPECT_NE(general.out.find("darts"), std::string::npos);
}
