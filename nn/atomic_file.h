// Atomic file replacement: bytes go to "<path>.tmp", which commit() flushes,
// fsyncs and renames over `path` (then fsyncs the directory). Until commit()
// succeeds the old file at `path` is untouched, so a crash or a failed write
// never leaves a half-written file under the real name. Destroying an
// uncommitted AtomicFile removes the temporary.
#pragma once
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace nf::nn {

class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // throws nf::Error naming the temporary when it cannot be created
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t n);
  void write(std::string_view s) { write(s.data(), s.size()); }
  void commit();

  const std::string& path() const { return path_; }

 private:
  void fail(const char* what);  // closes, removes the temporary, throws with errno's text

  std::string path_, tmp_path_;
  std::FILE* file_ = nullptr;
  bool committed_ = false;
};

// Replaces the file at `path` with `contents` atomically.
void write_file_atomic(const std::string& path, std::string_view contents);

}  // namespace nf::nn
