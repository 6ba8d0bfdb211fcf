// Helpers of the CLI tests: a temporary directory, a tiny learnable data set
// in the Fashion-MNIST file layout, and running a command as a function.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "tensor/error.h"
#include "tools/commands.h"

namespace cli_test {

namespace fs = std::filesystem;
using nf::tools::Flags;

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/nf_cli_XXXXXX";
    NF_CHECK(mkdtemp(templ.data()) != nullptr, "TempDir: mkdtemp failed for ", templ);
    path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

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

}  // namespace cli_test
