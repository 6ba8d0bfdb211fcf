// The real program under mpirun (this test is not an MPI program: it starts
// mpirun itself, as a user would): a 3-rank search whose rank 0 is killed
// with SIGKILL stops with OpenMPI's message and resumes (on 2 ranks) without
// losing or retraining a finished trial; 3-rank data-parallel `train` gives
// the weights of one process. (DARTS under mpirun: test_mpi_cli_darts.cpp.)
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nn/checkpoint.h"
#include "tests/cli_util.h"
#include "tools/models.h"

using namespace cli_test;
using json = nlohmann::json;

namespace {

class MpiCli : public testing::Test {
 protected:
  void SetUp() override { write_synthetic(data.path); }
  TempDir data, runs;
};

}  // namespace

TEST_F(MpiCli, AKilledSearchStopsWithAMessageAndResumesWithoutLosingATrial) {
  const fs::path dir = runs.path / "exp", log = runs.path / "killed";
  auto argv = mpirun_nasforge(3);
  for (std::string a : {"search", "--space", "nb201", "--channels", "4", "--budget", "40", "--epochs", "3",
                        "--train-examples", "300", "--val-examples", "100", "--batch-size", "32", "--seed", "2"})
    argv.push_back(a);
  argv.insert(argv.end(), {"--data-dir", data.path.string(), "--out", dir.string()});
  const pid_t pid = spawn_program(argv, log.string() + ".out", log.string() + ".err");
  ASSERT_GT(pid, 0);
  // Kill rank 0 (the one writing the files) once three trials are recorded.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  size_t lines = 0;
  while (std::chrono::steady_clock::now() < deadline && lines < 3) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::ifstream in(dir / "trials.jsonl");
    lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
  }
  const pid_t rank0 = mpi_rank_pid(pid, 0);
  ASSERT_GT(rank0, 0) << "no rank-0 process under mpirun " << pid;
  kill(rank0, SIGKILL);
  const int rc = wait_exit_code(pid);
  EXPECT_NE(rc, 0) << "mpirun exited 0 after its rank 0 was killed";
  const std::string err = read_text(log.string() + ".err");
  EXPECT_NE(err.find("signal 9"), std::string::npos) << err;
  const std::vector<json> before = read_json_lines(dir / "trials.jsonl");
  ASSERT_GE(before.size(), 3u);
  ASSERT_LT(before.size(), 40u) << "the search ended before it was killed";

  const size_t budget = before.size() + 4;
  auto resume = mpirun_nasforge(2);
  resume.insert(resume.end(), {"search", "--resume", dir.string(), "--budget", std::to_string(budget)});
  const ProcessResult resumed = run_program(resume);
  ASSERT_EQ(resumed.rc, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("resuming"), std::string::npos);
  const std::vector<json> after = read_json_lines(dir / "trials.jsonl");
  ASSERT_EQ(after.size(), budget);
  std::set<std::string> trained;
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i]["trial"].get<size_t>(), i);
    if (i < before.size()) {
      EXPECT_EQ(after[i], before[i]) << "finished trial " << i << " changed";
    }
    if (!after[i].value("cached", false)) {
      EXPECT_TRUE(trained.insert(after[i]["hash"].get<std::string>()).second) << "trial " << i << " trained twice";
    }
  }
  const json state = json::parse(read_text(dir / "strategy.json"));
  EXPECT_EQ(state["trials"].get<size_t>(), budget);
  EXPECT_FALSE(state.contains("pending"));
  EXPECT_TRUE(fs::exists(dir / "report.html"));
}

TEST_F(MpiCli, DataParallelTrainGivesTheWeightsOfOneProcess) {
  std::vector<std::string> flags = {"train", "--model", "mlp", "--epochs", "2", "--batch-size", "32", "--limit", "128",
                                    "--data-dir", data.path.string()};
  auto one = std::vector<std::string>{NF_NASFORGE_EXE};
  one.insert(one.end(), flags.begin(), flags.end());
  one.insert(one.end(), {"--out", (runs.path / "one").string()});
  auto three = mpirun_nasforge(3);
  three.insert(three.end(), flags.begin(), flags.end());
  three.insert(three.end(), {"--out", (runs.path / "three").string()});
  const ProcessResult one_run = run_program(one), three_run = run_program(three);
  ASSERT_EQ(one_run.rc, 0) << one_run.err;
  ASSERT_EQ(three_run.rc, 0) << three_run.err;

  const std::string& out = three_run.out;
  size_t prints = 0;
  for (size_t at = out.find("test accuracy"); at != std::string::npos; at = out.find("test accuracy", at + 1)) ++prints;
  EXPECT_EQ(prints, 1u) << "only rank 0 prints:\n" << out;
  EXPECT_NE(out.find("3 MPI ranks"), std::string::npos) << out;

  auto a = nf::tools::make_model("mlp", {1, 8, 8}, 10), b = nf::tools::make_model("mlp", {1, 8, 8}, 10);
  nf::nn::load_state((runs.path / "one" / "checkpoint.safetensors").string(), *a);
  nf::nn::load_state((runs.path / "three" / "checkpoint.safetensors").string(), *b);
  const auto pa = a->parameters(), pb = b->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  double diff = 0;
  for (size_t i = 0; i < pa.size(); ++i) {
    const auto x = pa[i].to_vector<double>(), y = pb[i].to_vector<double>();
    for (size_t k = 0; k < x.size(); ++k) diff = std::max(diff, std::abs(x[k] - y[k]));
  }
  EXPECT_LT(diff, 1e-5);
  const auto ma = read_json_lines(runs.path / "one" / "metrics.jsonl"), mb = read_json_lines(runs.path / "three" / "metrics.jsonl");
  ASSERT_EQ(ma.size(), 2u);
  ASSERT_EQ(mb.size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    EXPECT_NEAR(ma[e]["train_loss"].get<double>(), mb[e]["train_loss"].get<double>(), 1e-5);
    EXPECT_EQ(ma[e]["train_acc"], mb[e]["train_acc"]);
  }
}
