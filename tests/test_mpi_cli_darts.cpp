// `mpirun -np 2 nasforge search --strategy darts` on the real program (this
// test is not an MPI program: it starts mpirun itself, as a user would): the
// data-parallel search writes one experiment directory with every file, rank 0
// alone prints; a rank killed with SIGKILL stops the job with OpenMPI's message
// and `--resume DIR` continues after the last finished epoch; batches too small
// to shard stop before anything is written.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cli_util.h"

using namespace cli_test;
using json = nlohmann::json;

namespace {

class MpiCliDarts : public testing::Test {
 protected:
  void SetUp() override { write_synthetic(data.path); }

  // mpirun -np `ranks` nasforge search --strategy darts on the tiny data set.
  std::vector<std::string> darts(int ranks, const fs::path& out, const std::string& epochs,
                                 const std::string& batch = "16") {
    auto argv = mpirun_nasforge(ranks);
    argv.insert(argv.end(), {"search", "--strategy", "darts", "--channels", "2", "--cells", "1", "--train-examples",
                             "64", "--batch-size", batch, "--epochs", epochs, "--seed", "3", "--data-dir",
                             data.path.string(), "--out", out.string()});
    return argv;
  }

  static size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }

  TempDir data, runs;
};

}  // namespace

TEST_F(MpiCliDarts, TwoRanksWriteOneExperimentDirectoryAndRankZeroAlonePrints) {
  const fs::path dir = runs.path / "darts";
  const ProcessResult r = run_program(darts(2, dir, "2"));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(count(r.out, "2 MPI ranks search data-parallel"), 1u) << r.out;
  EXPECT_EQ(count(r.out, "DARTS (first order)"), 1u) << "only rank 0 prints:\n" << r.out;
  EXPECT_EQ(count(r.out, "derived genotype after epoch 2"), 1u) << r.out;

  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(runs.path)) ++entries;
  EXPECT_EQ(entries, 1u) << "one experiment directory";
  for (const char* f : {"config.json", "alphas.jsonl", "genotypes.jsonl", "best.json", "checkpoint.safetensors",
                        "report.html"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  const std::vector<json> epochs = read_json_lines(dir / "genotypes.jsonl");
  ASSERT_EQ(epochs.size(), 2u);
  for (size_t i = 0; i < epochs.size(); ++i) {
    EXPECT_EQ(epochs[i]["epoch"].get<int64_t>(), int64_t(i) + 1);
    EXPECT_EQ(epochs[i]["steps"].get<int64_t>(), 2);  // 32 examples per half, batches of 16
  }
  EXPECT_EQ(read_json_lines(dir / "alphas.jsonl").size(), 2u);
  const json best = json::parse(read_text(dir / "best.json"));
  EXPECT_EQ(best["epoch"].get<int64_t>(), 2);
  EXPECT_EQ(json::parse(read_text(dir / "config.json"))["strategy"]["name"], "darts");
}

TEST_F(MpiCliDarts, AKilledRankStopsTheSearchAndResumeContinuesAfterTheLastEpoch) {
  const fs::path dir = runs.path / "darts", log = runs.path / "killed";
  const pid_t pid = spawn_program(darts(2, dir, "4"), log.string() + ".out", log.string() + ".err");
  ASSERT_GT(pid, 0);
  // Kill rank 1 (not the one writing files) once the first epoch is recorded (its checkpoint last).
  ASSERT_TRUE(wait_until([&] { return fs::exists(dir / "checkpoint.safetensors"); }, std::chrono::seconds(60)))
      << read_text(log.string() + ".err");
  const pid_t rank1 = mpi_rank_pid(pid, 1);
  ASSERT_GT(rank1, 0) << "no rank-1 process under mpirun " << pid;
  kill(rank1, SIGKILL);
  EXPECT_NE(wait_exit_code(pid), 0) << "mpirun exited 0 after its rank 1 was killed";
  const std::string err = read_text(log.string() + ".err");
  EXPECT_NE(err.find("signal 9"), std::string::npos) << err;
  const std::vector<json> before = read_json_lines(dir / "genotypes.jsonl");
  ASSERT_GE(before.size(), 1u);
  ASSERT_LT(before.size(), 4u) << "the search ended before it was killed";

  auto resume = mpirun_nasforge(2);
  resume.insert(resume.end(), {"search", "--resume", dir.string()});
  const ProcessResult r = run_program(resume);
  ASSERT_EQ(r.rc, 0) << r.err;
  // The epochs whose checkpoint landed before the kill (a log line without one is redone).
  const std::string resuming = "resuming " + dir.string() + " after epoch ";
  const size_t at = r.out.find(resuming);
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_EQ(count(r.out, resuming), 1u) << r.out;
  const size_t done = std::stoul(r.out.substr(at + resuming.size()));
  ASSERT_GE(done, 1u);
  ASSERT_LE(done, before.size());
  const std::vector<json> after = read_json_lines(dir / "genotypes.jsonl");
  ASSERT_EQ(after.size(), 4u);
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i]["epoch"].get<int64_t>(), int64_t(i) + 1);
    if (i < done) {
      EXPECT_EQ(after[i], before[i]) << "finished epoch " << i + 1 << " changed";
    }
  }
  EXPECT_EQ(read_json_lines(dir / "alphas.jsonl").size(), 4u);
  EXPECT_TRUE(fs::exists(dir / "report.html"));
}

TEST_F(MpiCliDarts, BatchesTooSmallForTheRanksStopBeforeAnythingIsWritten) {
  const fs::path dir = runs.path / "darts";
  const ProcessResult r = run_program(darts(2, dir, "1", "3"));
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("error on rank 0 of 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("BatchNorm needs 2+"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir));
}

TEST_F(MpiCliDarts, HelpPrintsOnceAndExits) {
  auto argv = mpirun_nasforge(2);
  argv.insert(argv.end(), {"search", "--strategy", "darts", "--help"});
  const ProcessResult r = run_program(argv);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(count(r.out, "usage: nasforge search --strategy darts"), 1u) << r.out;
}
