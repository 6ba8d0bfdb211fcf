#include "data/idx.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "data/gz_file.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace nf::data {

namespace {

namespace fs = std::filesystem;

constexpr uint32_t kImagesMagic = 0x00000803;  // u8, 3 dims
constexpr uint32_t kLabelsMagic = 0x00000801;  // u8, 1 dim

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

// A validated header: the open file positioned at the first payload byte.
struct IdxFile {
  std::unique_ptr<GzFile> file;
  std::vector<int64_t> dims;
  uint64_t header_bytes = 0;
};

// Reads exactly n header bytes or fails naming where the file ended.
void read_header_bytes(GzFile& f, unsigned char* dst, size_t n, uint64_t header_bytes) {
  size_t got = f.read(dst, n);
  if (got == n) return;
  if (f.position() == 0) NF_FAIL("idx: ", f.path(), ": the file is empty");
  NF_FAIL("idx: ", f.path(), ": truncated: the file ends after ", f.position(),
          " bytes, inside the ", header_bytes, "-byte header");
}

IdxFile open_idx(const std::string& path, uint32_t magic_expected, const char* kind) {
  IdxFile idx;
  idx.file = std::make_unique<GzFile>(path, "idx");
  GzFile& f = *idx.file;
  const size_t ndims = magic_expected & 0xFF;
  idx.header_bytes = 4 + 4 * ndims;
  std::vector<unsigned char> head(idx.header_bytes);
  read_header_bytes(f, head.data(), 4, idx.header_bytes);
  auto be32 = [&](size_t at) {
    return uint32_t(head[at]) << 24 | uint32_t(head[at + 1]) << 16 | uint32_t(head[at + 2]) << 8 |
           uint32_t(head[at + 3]);
  };
  const uint32_t magic = be32(0);
  if (magic != magic_expected) {
    std::string hint;
    if (magic == kImagesMagic)
      hint = "; this is an IDX images file";
    else if (magic == kLabelsMagic)
      hint = "; this is an IDX labels file";
    else if ((magic >> 16) != 0)
      hint = "; not an IDX file (gzip files must start with 1f 8b)";
    NF_FAIL("idx: ", path, ": bad magic ", hex32(magic), ", expected ", hex32(magic_expected), " (",
            kind, ")", hint);
  }
  read_header_bytes(f, head.data() + 4, 4 * ndims, idx.header_bytes);
  for (size_t d = 0; d < ndims; ++d) idx.dims.push_back(int64_t(be32(4 + 4 * d)));
  const int64_t count = idx.dims[0];
  NF_CHECK(count > 0, "idx: ", path, ": header says 0 ", kind);
  NF_CHECK(count <= kIdxMaxCount, "idx: ", path, ": header says ", count, " ", kind,
           ", more than the limit of ", kIdxMaxCount, " (corrupt header?)");
  return idx;
}

// Reads the payload, u8 of `shape`, that the header announced (`what`). A
// plain file's length is checked before allocating; a gzip file is inflated
// in chunks, so memory only grows with what the file really holds.
Tensor read_payload(IdxFile& idx, const Shape& shape, const std::string& what) {
  GzFile& f = *idx.file;
  const uint64_t n = uint64_t(shape_numel(shape));
  const uint64_t total = idx.header_bytes + n;
  auto truncated = [&](uint64_t file_bytes) {
    NF_FAIL("idx: ", f.path(), ": truncated: header says ", what, " (", total,
            " bytes with the header) but the file ends after ", file_bytes, " bytes",
            f.compressed() && f.truncated_stream() ? " (the gzip stream is cut short)" : "");
  };
  auto trailing = [&](const std::string& extra) {
    NF_FAIL("idx: ", f.path(), ": ", extra, " after the ", what, " the header announces (", total,
            " bytes with the header)");
  };

  Tensor out;
  if (!f.compressed()) {
    std::error_code ec;
    const uint64_t size = fs::file_size(f.path(), ec);
    NF_CHECK(!ec, "idx: ", f.path(), ": cannot get the file size: ", ec.message());
    if (size < total) truncated(size);
    if (size > total) trailing(std::to_string(size - total) + " extra bytes");
    out = empty(shape, {DType::u8});
    size_t got = f.read(out.data<uint8_t>(), n);
    if (got < n) truncated(idx.header_bytes + got);
    return out;
  }

  constexpr size_t kChunk = size_t(1) << 22;
  std::vector<uint8_t> buf;
  while (buf.size() < n) {
    size_t old = buf.size(), want = std::min<size_t>(kChunk, n - old);
    buf.resize(old + want);
    size_t got = f.read(buf.data() + old, want);
    if (got < want) truncated(idx.header_bytes + old + got);
  }
  unsigned char extra;
  if (f.read(&extra, 1) == 1) trailing("extra data");
  out = empty(shape, {DType::u8});
  std::memcpy(out.data<uint8_t>(), buf.data(), n);
  return out;
}

IdxFile open_images(const std::string& path) {
  IdxFile idx = open_idx(path, kImagesMagic, "images");
  const int64_t rows = idx.dims[1], cols = idx.dims[2];
  NF_CHECK(rows > 0 && cols > 0 && rows <= kIdxMaxSide && cols <= kIdxMaxSide, "idx: ", path,
           ": header says images of ", rows, "x", cols, "; each side must be in 1..", kIdxMaxSide);
  return idx;
}

Tensor read_pixels(IdxFile& idx) {
  const int64_t count = idx.dims[0], rows = idx.dims[1], cols = idx.dims[2];
  return read_payload(
      idx, {count, 1, rows, cols},
      std::to_string(count) + " images of " + std::to_string(rows) + "x" + std::to_string(cols));
}

std::string find_file(const std::string& dir, const std::string& base) {
  for (const std::string& name : {base, base + ".gz"}) {
    fs::path p = fs::path(dir) / name;
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  NF_FAIL("fashion-mnist: no ", base, " or ", base, ".gz in ", dir,
          " (point NF_DATA_DIR or the data directory option at the files; on Debian: apt install "
          "dataset-fashion-mnist)");
}

}  // namespace

Tensor read_idx_images(const std::string& path) {
  IdxFile idx = open_images(path);
  return read_pixels(idx);
}

Tensor read_idx_labels(const std::string& path) {
  IdxFile idx = open_idx(path, kLabelsMagic, "labels");
  const int64_t count = idx.dims[0];
  Tensor bytes = read_payload(idx, {count}, std::to_string(count) + " labels");
  return raw::cast(bytes, DType::i64);
}

std::shared_ptr<TensorDataset> load_idx(const std::string& images_path,
                                        const std::string& labels_path, int64_t num_classes,
                                        std::vector<std::string> class_names) {
  NF_CHECK(num_classes > 0 && num_classes <= 256, "idx: num_classes must be in 1..256, got ",
           num_classes);
  // Labels first: they are small, and their count is checked against the
  // images header before any pixel memory is allocated.
  Tensor labels = read_idx_labels(labels_path);
  const int64_t* y = labels.data<int64_t>();
  for (int64_t i = 0; i < labels.numel(); ++i)
    NF_CHECK(y[i] < num_classes, "idx: ", labels_path, ": label ", y[i], " at index ", i,
             " is out of range for ", num_classes, " classes");
  IdxFile images = open_images(images_path);
  NF_CHECK(images.dims[0] == labels.numel(), "idx: ", images_path, " has ", images.dims[0],
           " images but ", labels_path, " has ", labels.numel(), " labels");
  return std::make_shared<TensorDataset>(read_pixels(images), labels, num_classes,
                                         std::move(class_names));
}

std::string default_data_dir() {
  const char* env = std::getenv("NF_DATA_DIR");
  if (env && *env) return env;
  return "/usr/share/datasets/fashion-mnist";
}

std::shared_ptr<TensorDataset> load_fashion_mnist(const std::string& dir, bool train) {
  const std::string root = dir.empty() ? default_data_dir() : dir;
  const std::string prefix = train ? "train" : "t10k";
  std::string images = find_file(root, prefix + "-images-idx3-ubyte");
  std::string labels = find_file(root, prefix + "-labels-idx1-ubyte");
  return load_idx(images, labels, 10,
                  {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"});
}

}  // namespace nf::data
