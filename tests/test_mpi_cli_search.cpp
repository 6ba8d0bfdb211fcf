// The real program under mpirun (this test is not an MPI program: it starts
// mpirun itself, as a user would): a 3-rank search whose rank 0 is killed
// with SIGKILL stops with OpenMPI's message and resumes (on 2 ranks) without
// losing or retraining a finished trial; 3-rank data-parallel `train` gives
// the weights of one process; a DARTS search refuses to run on several ranks.
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

std::vector<std::string> mpirun(int ranks) {
  std::vector<std::string> argv = {NF_MPIEXEC, "-np", std::to_string(ranks)};
  std::istringstream flags(NF_MPIEXEC_FLAGS);
  for (std::string f; flags >> f;) argv.push_back(f);
  argv.push_back(NF_NASFORGE_EXE);
  return argv;
}

// Starts argv with stdout and stderr into files; returns the pid.
pid_t spawn(std::vector<std::string> argv, const fs::path& out, const fs::path& err) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    if (!freopen(out.c_str(), "w", stdout) || !freopen(err.c_str(), "w", stderr)) _exit(126);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// Exit code, or 128 + signal.
int wait_for(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int run_to_end(std::vector<std::string> argv, const fs::path& log) {
  return wait_for(spawn(std::move(argv), log.string() + ".out", log.string() + ".err"));
}

std::vector<json> read_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

// The rank-0 process that mpirun `parent` started (OMPI_COMM_WORLD_RANK=0), or -1.
pid_t rank_zero_of(pid_t parent) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != parent) continue;
    const std::string env = slurp(entry.path() / "environ");
    if (env.find(std::string("OMPI_COMM_WORLD_RANK=0") + '\0') != std::string::npos) return pid_t(std::stoi(name));
  }
  return -1;
}

class MpiCli : public testing::Test {
 protected:
  void SetUp() override { write_synthetic(data.path); }
  TempDir data, runs;
};

}  // namespace

TEST_F(MpiCli, AKilledSearchStopsWithAMessageAndResumesWithoutLosingATrial) {
  const fs::path dir = runs.path / "exp", log = runs.path / "killed";
  auto argv = mpirun(3);
  for (std::string a : {"search", "--space", "nb201", "--channels", "4", "--budget", "40", "--epochs", "3",
                        "--train-examples", "300", "--val-examples", "100", "--batch-size", "32", "--seed", "2"})
    argv.push_back(a);
  argv.insert(argv.end(), {"--data-dir", data.path.string(), "--out", dir.string()});
  const pid_t pid = spawn(argv, log.string() + ".out", log.string() + ".err");
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
  const pid_t rank0 = rank_zero_of(pid);
  ASSERT_GT(rank0, 0) << "no rank-0 process under mpirun " << pid;
  kill(rank0, SIGKILL);
  const int rc = wait_for(pid);
  EXPECT_NE(rc, 0) << "mpirun exited 0 after its rank 0 was killed";
  const std::string err = slurp(log.string() + ".err");
  EXPECT_NE(err.find("signal 9"), std::string::npos) << err;
  const std::vector<json> before = read_lines(dir / "trials.jsonl");
  ASSERT_GE(before.size(), 3u);
  ASSERT_LT(before.size(), 40u) << "the search ended before it was killed";

  const size_t budget = before.size() + 4;
  auto resume = mpirun(2);
  resume.insert(resume.end(), {"search", "--resume", dir.string(), "--budget", std::to_string(budget)});
  ASSERT_EQ(run_to_end(resume, runs.path / "resumed"), 0) << slurp(runs.path / "resumed.err");
  EXPECT_NE(slurp(runs.path / "resumed.out").find("resuming"), std::string::npos);
  const std::vector<json> after = read_lines(dir / "trials.jsonl");
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
  const json state = json::parse(slurp(dir / "strategy.json"));
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
  auto three = mpirun(3);
  three.insert(three.end(), flags.begin(), flags.end());
  three.insert(three.end(), {"--out", (runs.path / "three").string()});
  ASSERT_EQ(run_to_end(one, runs.path / "one_log"), 0) << slurp(runs.path / "one_log.err");
  ASSERT_EQ(run_to_end(three, runs.path / "three_log"), 0) << slurp(runs.path / "three_log.err");

  const std::string out = slurp(runs.path / "three_log.out");
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
  const auto ma = read_lines(runs.path / "one" / "metrics.jsonl"), mb = read_lines(runs.path / "three" / "metrics.jsonl");
  ASSERT_EQ(ma.size(), 2u);
  ASSERT_EQ(mb.size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    EXPECT_NEAR(ma[e]["train_loss"].get<double>(), mb[e]["train_loss"].get<double>(), 1e-5);
    EXPECT_EQ(ma[e]["train_acc"], mb[e]["train_acc"]);
  }
}

TEST_F(MpiCli, DartsSearchRefusesSeveralRanks) {
  auto argv = mpirun(2);
  argv.insert(argv.end(), {"search", "--strategy", "darts", "--data-dir", data.path.string(), "--out",
                          (runs.path / "darts").string()});
  EXPECT_NE(run_to_end(argv, runs.path / "darts_log"), 0);
  EXPECT_NE(slurp(runs.path / "darts_log.err").find("runs in one process"), std::string::npos)
      << slurp(runs.path / "darts_log.err");
  EXPECT_FALSE(fs::exists(runs.path / "darts"));
}
