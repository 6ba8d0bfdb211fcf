// Hostile command lines for the real nasforge program (train, eval, search,
// report, compare): unknown flags, bad numbers, missing paths, an --out that
// is a file or lies under one, --resume of a directory that holds no run.
// Each must exit non-zero with ONE line on stderr naming the flag or path,
// and create nothing: an output directory that did not exist still does not.
// (The tests run as root, where permission bits do not stop writes, so an
// unwritable output is a path under a regular file: FILE/sub.)
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/cli_util.h"

using namespace cli_test;

namespace {

struct Hostile {
  std::string what;               // the case, for messages
  std::vector<std::string> args;  // the nasforge command line
  std::string names;              // what stderr's line must mention
};

class CliHostile : public testing::Test {
 protected:
  void SetUp() override {
    write_synthetic(data.path);
    std::ofstream(file()) << "not a directory\n";
    fs::create_directories(empty());
  }
  fs::path file() const { return runs.path / "plain.txt"; }  // a regular file
  fs::path empty() const { return runs.path / "empty"; }     // a directory that holds no run
  fs::path out() const { return runs.path / "out"; }         // never to be created

  // `base` (flag, value pairs) with `extra` appended; a flag in `extra` replaces base's.
  static std::vector<std::string> merge(const std::string& command, std::vector<std::string> base,
                                        const std::vector<std::string>& extra) {
    std::vector<std::string> a = {command};
    for (size_t i = 0; i + 1 < base.size(); i += 2)
      if (std::find(extra.begin(), extra.end(), base[i]) == extra.end()) a.insert(a.end(), {base[i], base[i + 1]});
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::vector<std::string> train(std::vector<std::string> extra, const std::string& out_dir = "") const {
    return merge("train", {"--model", "mlp", "--data-dir", data.path.string(), "--epochs", "1", "--limit", "40",
                           "--out", out_dir.empty() ? out().string() : out_dir},
                 extra);
  }
  std::vector<std::string> search(std::vector<std::string> extra, const std::string& out_dir = "") const {
    return merge("search", {"--space", "nb201", "--channels", "4", "--budget", "1", "--train-examples", "40",
                            "--val-examples", "20", "--data-dir", data.path.string(), "--out",
                            out_dir.empty() ? out().string() : out_dir},
                 extra);
  }

  void expect_refused(const Hostile& h) {
    const ProcessResult r = run_nasforge(h.args);
    EXPECT_NE(r.rc, 0) << h.what << ": exit code 0 (stdout: " << r.out << ")";
    EXPECT_NE(r.rc, -1) << h.what << ": killed by a signal";
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << h.what << ": stderr is not one line:\n" << r.err;
    EXPECT_TRUE(!r.err.empty() && r.err.back() == '\n') << h.what << ": " << r.err;
    EXPECT_NE(r.err.find(h.names), std::string::npos) << h.what << ": stderr does not name '" << h.names
                                                      << "': " << r.err;
    EXPECT_FALSE(fs::exists(out())) << h.what << ": created " << out();
    EXPECT_EQ(read_text(file()), "not a directory\n") << h.what << ": changed " << file();
    EXPECT_TRUE(fs::is_empty(empty())) << h.what << ": wrote into " << empty();
    std::printf("  %-34s rc %d  %s", h.what.c_str(), r.rc, r.err.c_str());
    std::error_code ec;
    fs::remove_all(out(), ec);
  }
  TempDir data, runs;
};

}  // namespace

TEST_F(CliHostile, Train) {
  const std::string f = file().string();
  for (const Hostile& h : std::vector<Hostile>{
           {"train unknown flag", train({"--epoch", "2"}), "--epoch"},
           {"train --epochs abc", train({"--epochs", "abc"}), "--epochs"},
           {"train --epochs -1", train({"--epochs", "-1"}), "--epochs"},
           {"train --epochs 99999999999999999999", train({"--epochs", "99999999999999999999"}), "--epochs"},
           {"train --lr nan", train({"--lr", "nan"}), "--lr"},
           {"train --lr inf", train({"--lr", "inf"}), "--lr"},
           {"train --batch-size 10x", train({"--batch-size", "10x"}), "--batch-size"},
           {"train --batch-size ''", train({"--batch-size", ""}), "--batch-size"},
           {"train --seed (no value)", train({"--seed"}), "--seed"},
           {"train --model nope", train({"--model", "nope"}), "--model"},
           {"train --data-dir missing", train({"--data-dir", (runs.path / "missing").string()}), "missing"},
           {"train --data folder:missing", train({"--data", "folder:" + (runs.path / "missing").string()}), "missing"},
           {"train --genotype missing",
            {"train", "--genotype", (runs.path / "g.json").string(), "--data-dir", data.path.string(), "--out",
             out().string()},
            "g.json"},
           {"train stray argument", train({"extra"}), "extra"},
       })
    expect_refused(h);
}

TEST_F(CliHostile, TrainOutIsAFileOrUnderOne) {
  const std::string f = file().string();
  for (const Hostile& h : std::vector<Hostile>{
           {"train --out FILE", train({}, f), f},
           {"train --out FILE/sub", train({}, f + "/sub"), f},
       })
    expect_refused(h);
}

TEST_F(CliHostile, TrainResumeOfANonRun) {
  for (const Hostile& h : std::vector<Hostile>{
           {"train --resume of a non-run", {"train", "--out", empty().string(), "--resume"}, empty().string()},
           {"train --resume of a missing dir", {"train", "--out", out().string(), "--resume"}, out().string()},
       })
    expect_refused(h);
}

TEST_F(CliHostile, Eval) {
  for (const Hostile& h : std::vector<Hostile>{
           {"eval no --checkpoint", {"eval"}, "--checkpoint"},
           {"eval --checkpoint missing", {"eval", "--checkpoint", out().string()}, out().string()},
           {"eval --checkpoint non-run dir", {"eval", "--checkpoint", empty().string()}, empty().string()},
           {"eval --checkpoint FILE", {"eval", "--checkpoint", file().string()}, "plain.txt"},
           {"eval unknown flag", {"eval", "--checkpoint", empty().string(), "--bogus"}, "--bogus"},
           {"eval --batch-size abc", {"eval", "--checkpoint", empty().string(), "--batch-size", "abc"}, "--batch-size"},
       })
    expect_refused(h);
}

TEST_F(CliHostile, Search) {
  const std::string f = file().string();
  for (const Hostile& h : std::vector<Hostile>{
           {"search unknown flag", search({"--bogus"}), "--bogus"},
           {"search --budget 10x", search({"--budget", "10x"}), "--budget"},
           {"search --budget -1", search({"--budget", "-1"}), "--budget"},
           {"search --channels abc", search({"--channels", "abc"}), "--channels"},
           {"search --seed nan", search({"--seed", "nan"}), "--seed"},
           {"search --data-dir missing", search({"--data-dir", (runs.path / "missing").string()}), "missing"},
           {"search --out FILE", search({}, f), f},
           {"search --out FILE/sub", search({}, f + "/sub"), f},
           {"search --resume non-run", {"search", "--resume", empty().string()}, empty().string()},
           {"search --resume FILE", {"search", "--resume", f}, f},
           {"search --resume missing", {"search", "--resume", out().string()}, out().string()},
       })
    expect_refused(h);
}

TEST_F(CliHostile, ReportAndCompare) {
  const std::string f = file().string();
  for (const Hostile& h : std::vector<Hostile>{
           {"report no directory", {"report"}, "directory"},
           {"report missing dir", {"report", out().string()}, out().string()},
           {"report non-run dir", {"report", empty().string()}, empty().string()},
           {"report FILE", {"report", f}, f},
           {"report unknown flag", {"report", empty().string(), "--bogus"}, "--bogus"},
           {"report --top abc", {"report", empty().string(), "--top", "abc"}, "--top"},
           {"report --top -1", {"report", empty().string(), "--top", "-1"}, "--top"},
           {"compare no directory", {"compare"}, "director"},
           {"compare missing dir", {"compare", out().string()}, out().string()},
           {"compare non-run dir", {"compare", empty().string()}, empty().string()},
           {"compare unknown flag", {"compare", empty().string(), "--bogus"}, "--bogus"},
           {"compare --trials x", {"compare", empty().string(), "--trials", "x"}, "--trials"},
       })
    expect_refused(h);
}

// Output files of report/compare that cannot be written: under a regular
// file. A real experiment is needed so the command gets as far as writing.
TEST_F(CliHostile, ReportAndCompareUnwritableOutput) {
  const fs::path exp = runs.path / "exp";
  const ProcessResult made = run_nasforge(search({}, exp.string()));
  ASSERT_EQ(made.rc, 0) << made.err;
  const std::string under = file().string() + "/r.html";
  for (const Hostile& h : std::vector<Hostile>{
           {"report --out FILE/r.html", {"report", exp.string(), "--out", under}, under},
           {"report --retrain missing", {"report", exp.string(), "--retrain", out().string()}, out().string()},
           {"compare --html FILE/r.html", {"compare", exp.string(), "--html", under}, under},
       })
    expect_refused(h);
}
