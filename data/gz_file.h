// A read-only file through zlib, which passes plain files through unchanged
// and decompresses gzip files transparently. Errors name the reader and path.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace nf::data {

class GzFile {
 public:
  // `who` prefixes error messages ("idx").
  GzFile(std::string path, std::string who);
  ~GzFile();
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Reads up to n bytes; fewer only at the end of the data. A gzip stream that
  // is cut short also just ends early (see truncated_stream()); a corrupt one throws.
  size_t read(void* dst, size_t n);
  // True when the file is gzip-compressed (false: read as is).
  bool compressed() const { return compressed_; }
  // Bytes delivered so far (uncompressed).
  uint64_t position() const { return position_; }
  // After a short read: true when a gzip stream ended without its trailer.
  bool truncated_stream() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_, who_;
  void* file_ = nullptr;  // gzFile
  bool compressed_ = false;
  uint64_t position_ = 0;
};

}  // namespace nf::data
