#include "nn/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "tensor/error.h"

namespace nf::nn {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), tmp_path_(path_ + ".tmp") {
  file_ = std::fopen(tmp_path_.c_str(), "wb");
  NF_CHECK(file_ != nullptr, "write '", path_, "': cannot create the temporary file '", tmp_path_,
           "': ", std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (file_) std::fclose(file_);
  if (!committed_) std::remove(tmp_path_.c_str());
}

void AtomicFile::fail(const char* what) {
  const int err = errno;
  if (file_) std::fclose(file_);
  file_ = nullptr;
  std::remove(tmp_path_.c_str());
  NF_FAIL("write '", path_, "': ", what, " failed: ", std::strerror(err), " (the previous file, if any, is unchanged)");
}

void AtomicFile::write(const void* data, size_t n) {
  NF_CHECK(file_ != nullptr && !committed_, "write '", path_, "': the file is already closed");
  if (n > 0 && std::fwrite(data, 1, n, file_) != n) fail("writing the temporary file");
}

void AtomicFile::commit() {
  NF_CHECK(file_ != nullptr && !committed_, "write '", path_, "': the file is already closed");
  if (std::fflush(file_) != 0) fail("flushing");
  if (::fsync(::fileno(file_)) != 0) fail("fsync");
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) fail("closing");
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) fail("renaming the temporary file");
  committed_ = true;
  // Make the rename itself durable (best effort: some filesystems refuse).
  std::filesystem::path dir = std::filesystem::path(path_).parent_path();
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void write_file_atomic(const std::string& path, std::string_view contents) {
  AtomicFile f(path);
  f.write(contents);
  f.commit();
}

}  // namespace nf::nn
