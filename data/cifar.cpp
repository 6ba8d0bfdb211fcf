#include "data/cifar.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tensor/factory.h"

namespace nf::data {

namespace {

namespace fs = std::filesystem;

constexpr int64_t kPixels = 3 * 32 * 32;

struct Format {
  const char* name;
  int64_t label_bytes;  // label bytes before the pixels
  int64_t label_at;     // which of them is the label
  int64_t classes;
};

Format format_of(CifarKind kind) {
  switch (kind) {
    case CifarKind::cifar10:
      return {"CIFAR-10", 1, 0, 10};
    case CifarKind::cifar100_coarse:
      return {"CIFAR-100", 2, 0, 20};
    case CifarKind::cifar100_fine:
      return {"CIFAR-100", 2, 1, 100};
  }
  NF_FAIL("cifar: unknown kind");
}

}  // namespace

std::shared_ptr<TensorDataset> read_cifar(const std::vector<std::string>& files, CifarKind kind) {
  NF_CHECK(!files.empty(), "cifar: no files given");
  const Format fmt = format_of(kind);
  const int64_t record = fmt.label_bytes + kPixels;

  // Validate every file's size before allocating anything.
  std::vector<int64_t> counts;
  int64_t total = 0;
  for (const std::string& path : files) {
    std::error_code ec;
    const uintmax_t size = fs::file_size(path, ec);
    NF_CHECK(!ec, "cifar: ", path, ": cannot open: ", ec.message());
    NF_CHECK(size > 0 && size % uintmax_t(record) == 0, "cifar: ", path, ": file size ", size,
             " is not a positive multiple of the ", record, "-byte ", fmt.name, " record (",
             fmt.label_bytes, " label byte", fmt.label_bytes > 1 ? "s" : "", " + ", kPixels,
             " pixel bytes)");
    counts.push_back(int64_t(size / uintmax_t(record)));
    total += counts.back();
  }

  Tensor images = empty({total, 3, 32, 32}, {DType::u8});
  Tensor labels = empty({total}, {DType::i64});
  uint8_t* px = images.data<uint8_t>();
  int64_t* y = labels.data<int64_t>();
  std::vector<char> rec(static_cast<size_t>(record));
  int64_t n = 0;
  for (size_t f = 0; f < files.size(); ++f) {
    std::ifstream in(files[f], std::ios::binary);
    NF_CHECK(in, "cifar: ", files[f], ": cannot open: ", std::strerror(errno));
    for (int64_t r = 0; r < counts[f]; ++r, ++n) {
      in.read(rec.data(), record);
      NF_CHECK(in.gcount() == record, "cifar: ", files[f], ": read failed in record ", r,
               " (file changed while reading?)");
      const int64_t label = static_cast<unsigned char>(rec[size_t(fmt.label_at)]);
      NF_CHECK(label < fmt.classes, "cifar: ", files[f], ": label ", label, " in record ", r,
               " is out of range for ", fmt.classes, " classes",
               kind == CifarKind::cifar10 ? " (a CIFAR-100 file?)" : "");
      y[n] = label;
      std::memcpy(px + n * kPixels, rec.data() + fmt.label_bytes, size_t(kPixels));
    }
  }
  std::vector<std::string> names;
  if (kind == CifarKind::cifar10)
    names = {"airplane", "automobile", "bird",  "cat",  "deer",
             "dog",      "frog",       "horse", "ship", "truck"};
  return std::make_shared<TensorDataset>(images, labels, fmt.classes, std::move(names));
}

std::shared_ptr<TensorDataset> load_cifar10(const std::string& dir, bool train) {
  std::vector<std::string> files;
  if (train) {
    for (int i = 1; i <= 5; ++i)
      files.push_back((fs::path(dir) / ("data_batch_" + std::to_string(i) + ".bin")).string());
  } else {
    files.push_back((fs::path(dir) / "test_batch.bin").string());
  }
  return read_cifar(files, CifarKind::cifar10);
}

std::shared_ptr<TensorDataset> load_cifar100(const std::string& dir, bool train, bool fine) {
  std::string file = (fs::path(dir) / (train ? "train.bin" : "test.bin")).string();
  return read_cifar({file}, fine ? CifarKind::cifar100_fine : CifarKind::cifar100_coarse);
}

}  // namespace nf::data
