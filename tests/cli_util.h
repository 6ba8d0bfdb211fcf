// Helpers of the CLI tests: a temporary directory, a tiny learnable data set
// in the Fashion-MNIST file layout, running a command as a function, and
// running (and killing) the real nasforge program in a child process.
#pragma once
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tensor/error.h"
#include "tools/commands.h"
#include "tests/temp_dir.h"

namespace cli_test {

namespace fs = std::filesystem;
using nf::tools::Flags;

using nf::testing::TempDir;

inline void write_be32(std::ofstream& out, uint32_t v) {
  const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  out.write(b, 4);
}

// Writes <prefix>-images-idx3-ubyte / <prefix>-labels-idx1-ubyte with n examples.
inline void write_split(const fs::path& dir, const std::string& prefix, int n, const std::vector<std::vector<int>>& templates,
                 std::mt19937& rng) {
  constexpr int kSide = 8;
  std::ofstream images(dir / (prefix + "-images-idx3-ubyte"), std::ios::binary);
  std::ofstream labels(dir / (prefix + "-labels-idx1-ubyte"), std::ios::binary);
  write_be32(images, 0x803);
  write_be32(images, uint32_t(n));
  write_be32(images, kSide);
  write_be32(images, kSide);
  write_be32(labels, 0x801);
  write_be32(labels, uint32_t(n));
  std::normal_distribution<double> noise(0, 40);
  for (int i = 0; i < n; ++i) {
    const int label = i % 10;
    labels.put(char(label));
    for (int p = 0; p < kSide * kSide; ++p)
      images.put(char(uint8_t(std::clamp(templates[label][p] + noise(rng), 0.0, 255.0))));
  }
}

// A learnable 10-class data set: 400 training and 100 test examples.
inline void write_synthetic(const fs::path& dir) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> pixel(0, 255);
  std::vector<std::vector<int>> templates(10, std::vector<int>(64));
  for (auto& t : templates)
    for (auto& p : t) p = pixel(rng);
  write_split(dir, "train", 400, templates, rng);
  write_split(dir, "t10k", 100, templates, rng);
}

struct Outcome {
  int rc = -1;
  std::string out;    // stdout
  std::string error;  // the nf::Error message, if one was thrown
};

inline Outcome run(int (*cmd)(Flags&), const std::string& name, std::vector<std::string> args) {
  Outcome r;
  Flags flags(name, std::move(args));
  testing::internal::CaptureStdout();
  try {
    r.rc = cmd(flags);
  } catch (const nf::Error& e) {
    r.error = e.what();
  }
  r.out = testing::internal::GetCapturedStdout();
  return r;
}

#ifdef NF_NASFORGE_EXE
// Starts the real program (NF_NASFORGE_EXE) with `args` in a child process;
// its stdout and stderr go to the files named (/dev/null by default).
inline pid_t spawn_nasforge(const std::vector<std::string>& args, const std::string& out_path = "/dev/null",
                            const std::string& err_path = "/dev/null") {
  std::vector<std::string> argv_s = {NF_NASFORGE_EXE};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::fflush(nullptr);  // else the child's freopen flushes the parent's buffered output a second time
  const pid_t pid = fork();
  NF_CHECK(pid >= 0, "spawn_nasforge: fork failed");
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (!freopen(out_path.c_str(), "w", stdout) || !freopen(err_path.c_str(), "w", stderr)) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// SIGKILLs `pid` and reaps it; true when the signal ended it (false: it had
// already exited on its own).
inline bool kill_nine(pid_t pid) {
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

// Polls until `ready()` holds or `timeout` passes; returns ready()'s last value.
template <class Ready>
bool wait_until(Ready ready, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ready()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline size_t count_lines(const fs::path& path) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

// The real program run to its end: exit code (-1: killed by a signal), stdout, stderr.
struct ProcessResult {
  int rc = -1;
  std::string out, err;
};

inline ProcessResult run_nasforge(const std::vector<std::string>& args) {
  TempDir logs;
  const pid_t pid = spawn_nasforge(args, (logs.path / "out").string(), (logs.path / "err").string());
  int status = 0;
  waitpid(pid, &status, 0);
  ProcessResult r;
  if (WIFEXITED(status)) r.rc = WEXITSTATUS(status);
  r.out = read_text(logs.path / "out");
  r.err = read_text(logs.path / "err");
  return r;
}

// Starts argv (argv[0]: the program's path) with stdout and stderr into the
// files named; returns the pid.
inline pid_t spawn_program(const std::vector<std::string>& argv_s, const std::string& out_path,
                           const std::string& err_path) {
  std::fflush(nullptr);  // else the child's freopen flushes the parent's buffered output a second time
  const pid_t pid = fork();
  NF_CHECK(pid >= 0, "spawn_program: fork failed");
  if (pid == 0) {
    std::vector<std::string> copy = argv_s;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (!freopen(out_path.c_str(), "w", stdout) || !freopen(err_path.c_str(), "w", stderr)) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// Waits for `pid`: its exit code, or 128 + the signal that ended it.
inline int wait_exit_code(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// argv run to its end: exit code (128 + signal when killed), stdout, stderr.
inline ProcessResult run_program(const std::vector<std::string>& argv) {
  TempDir logs;
  const pid_t pid = spawn_program(argv, (logs.path / "out").string(), (logs.path / "err").string());
  ProcessResult r;
  r.rc = wait_exit_code(pid);
  r.out = read_text(logs.path / "out");
  r.err = read_text(logs.path / "err");
  return r;
}

#ifdef NF_MPIEXEC
// The start of `mpirun -np <ranks> <NF_MPIEXEC_FLAGS> nasforge`; append its arguments.
inline std::vector<std::string> mpirun_nasforge(int ranks) {
  std::vector<std::string> argv = {NF_MPIEXEC, "-np", std::to_string(ranks)};
  std::istringstream flags(NF_MPIEXEC_FLAGS);
  for (std::string f; flags >> f;) argv.push_back(f);
  argv.push_back(NF_NASFORGE_EXE);
  return argv;
}

// The process of rank `rank` that mpirun `parent` started (its environment
// holds OMPI_COMM_WORLD_RANK=<rank>), or -1.
inline pid_t mpi_rank_pid(pid_t parent, int rank) {
  const std::string wanted = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank) + '\0';
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
    if (read_text(entry.path() / "environ").find(wanted) != std::string::npos) return pid_t(std::stoi(name));
  }
  return -1;
}
#endif  // NF_MPIEXEC
#endif  // NF_NASFORGE_EXE

// The JSON lines of a .jsonl file (a torn or bad line throws).
inline std::vector<nlohmann::json> read_json_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

}  // namespace cli_test
