// A fresh directory under $TMPDIR (or /tmp) for one test, removed with
// everything in it when the test is done.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "tensor/error.h"

namespace nf::testing {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/nf_test_XXXXXX";
    NF_CHECK(mkdtemp(templ.data()) != nullptr, "TempDir: mkdtemp failed for ", templ);
    path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // dir/name, creating the parent folders.
  std::string file(const std::string& name) const {
    std::filesystem::path p = path / name;
    std::filesystem::create_directories(p.parent_path());
    return p.string();
  }
  std::string str() const { return path.string(); }

  std::filesystem::path path;
};

}  // namespace nf::testing
