#include "data/gz_file.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tensor/error.h"

namespace nf::data {

namespace {
gzFile handle(void* f) { return static_cast<gzFile>(f); }
}  // namespace

GzFile::GzFile(std::string path, std::string who) : path_(std::move(path)), who_(std::move(who)) {
  errno = 0;
  file_ = gzopen(path_.c_str(), "rb");
  NF_CHECK(file_ != nullptr, who_, ": ", path_,
           ": cannot open: ", errno ? std::strerror(errno) : "out of memory");
  gzbuffer(handle(file_), 1 << 20);
  compressed_ = gzdirect(handle(file_)) == 0;  // reads the gzip header, if any
}

GzFile::~GzFile() {
  if (file_) gzclose(handle(file_));
}

size_t GzFile::read(void* dst, size_t n) {
  auto* out = static_cast<unsigned char*>(dst);
  size_t done = 0;
  while (done < n) {
    // gzread counts in unsigned int; read in chunks of at most 1 GiB.
    unsigned chunk = unsigned(std::min<size_t>(n - done, size_t(1) << 30));
    int got = gzread(handle(file_), out + done, chunk);
    if (got < 0) {
      const int saved_errno = errno;
      int err = 0;
      std::string msg = gzerror(handle(file_), &err);
      if (err == Z_ERRNO) msg = std::strerror(saved_errno);
      if (msg.starts_with(path_ + ": ")) msg.erase(0, path_.size() + 2);  // zlib prefixes the path
      NF_FAIL(who_, ": ", path_, ": ", err == Z_DATA_ERROR ? "corrupt gzip data" : "cannot read",
              " after ", position_, " bytes: ", msg);
    }
    done += size_t(got);
    position_ += uint64_t(got);
    if (unsigned(got) < chunk) break;
  }
  return done;
}

bool GzFile::truncated_stream() const {
  int err = 0;
  gzerror(handle(file_), &err);
  return err == Z_BUF_ERROR;
}

}  // namespace nf::data
