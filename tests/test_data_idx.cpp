// IDX reader: exact round trips (plain and gzip), every corruption with its
// message, fail-fast on lying headers, the Fashion-MNIST helper and real data.
#include <gtest/gtest.h>

#include <filesystem>

#include "data/idx.h"
#include "test_data_util.h"

using namespace nf;
using namespace nf::data;
using nf::data::testing::error_of;
using nf::data::testing::TempDir;
using nf::data::testing::write_bytes;
using nf::data::testing::write_gz;

namespace {

void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(uint8_t(v >> s));
}

// An IDX file: magic, dims, then `payload`.
std::vector<uint8_t> idx_file(uint32_t magic, const std::vector<uint32_t>& dims,
                              const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> out;
  put_be32(out, magic);
  for (uint32_t d : dims) put_be32(out, d);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::vector<uint8_t> pixels(size_t n) {
  std::vector<uint8_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = uint8_t((i * 37 + 11) % 256);
  return p;
}

// 3 images of 2x3 and their labels.
const std::vector<uint8_t> kPixels = pixels(18);
const std::vector<uint8_t> kLabels = {0, 9, 4};
std::vector<uint8_t> images_file() { return idx_file(0x803, {3, 2, 3}, kPixels); }
std::vector<uint8_t> labels_file() { return idx_file(0x801, {3}, kLabels); }

void expect_matches(const TensorDataset& ds) {
  ASSERT_EQ(ds.size(), 3);
  EXPECT_EQ(ds.images().shape(), (Shape{3, 1, 2, 3}));
  EXPECT_EQ(ds.images().dtype(), DType::u8);
  EXPECT_EQ(ds.images().to_vector<uint8_t>(), kPixels);
  EXPECT_EQ(ds.labels().to_vector<int64_t>(), (std::vector<int64_t>{0, 9, 4}));
  EXPECT_EQ(ds.num_classes(), 10);
  Example ex = ds.get(1);
  EXPECT_EQ(ex.label, 9);
  EXPECT_EQ(ex.image.shape(), (Shape{1, 2, 3}));
  ASSERT_EQ(ex.image.dtype(), DType::f32);
  std::vector<float> v = ex.image.to_vector<float>();
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(v[i], float(kPixels[6 + i]) / 255.0f) << i;
}

}  // namespace

TEST(Idx, ReadsPlainFilesExactly) {
  TempDir dir;
  std::string img = dir.file("img"), lab = dir.file("lab");
  write_bytes(img, images_file());
  write_bytes(lab, labels_file());
  expect_matches(*load_idx(img, lab));
}

TEST(Idx, ReadsGzipFilesExactly) {
  TempDir dir;
  std::string img = dir.file("img.gz"), lab = dir.file("lab.gz");
  write_gz(img, images_file());
  write_gz(lab, labels_file());
  expect_matches(*load_idx(img, lab));
  EXPECT_EQ(read_idx_images(img).to_vector<uint8_t>(), kPixels);
  EXPECT_EQ(read_idx_labels(lab).dtype(), DType::i64);
}

TEST(Idx, BadMagicNamesFileAndValues) {
  TempDir dir;
  std::string img = dir.file("img");
  write_bytes(img, idx_file(0x804, {3, 2, 3, 1}, kPixels));
  EXPECT_EQ(error_of([&] { read_idx_images(img); }),
            "idx: " + img + ": bad magic 0x00000804, expected 0x00000803 (images)");
  // The two files swapped.
  write_bytes(img, labels_file());
  EXPECT_EQ(error_of([&] { read_idx_images(img); }),
            "idx: " + img +
                ": bad magic 0x00000801, expected 0x00000803 (images); this is an IDX labels file");
  write_bytes(img, {'h', 'e', 'l', 'l', 'o', '!'});
  EXPECT_NE(error_of([&] { read_idx_images(img); }).find("bad magic 0x68656C6C"),
            std::string::npos);
}

TEST(Idx, TruncatedPixelsPlainAndGzip) {
  TempDir dir;
  std::vector<uint8_t> cut = idx_file(0x803, {3, 2, 3}, pixels(10));
  const std::string expect =
      ": truncated: header says 3 images of 2x3 (34 bytes with the header) "
      "but the file ends after 26 bytes";
  std::string plain = dir.file("img"), gz = dir.file("img.gz");
  write_bytes(plain, cut);
  write_gz(gz, cut);
  EXPECT_EQ(error_of([&] { read_idx_images(plain); }), "idx: " + plain + expect);
  EXPECT_EQ(error_of([&] { read_idx_images(gz); }), "idx: " + gz + expect);
}

TEST(Idx, GzipStreamCutShortIsTruncation) {
  TempDir dir;
  std::string full = dir.file("full.gz"), cut = dir.file("cut.gz");
  write_gz(full, idx_file(0x803, {100, 28, 28}, pixels(100 * 28 * 28)));
  std::vector<uint8_t> bytes = nf::data::testing::read_bytes(full);
  bytes.resize(bytes.size() / 2);
  write_bytes(cut, bytes);
  std::string msg = error_of([&] { read_idx_images(cut); });
  EXPECT_NE(msg.find("idx: " + cut +
                     ": truncated: header says 100 images of 28x28 (78416 bytes with "
                     "the header) but the file ends after "),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("(the gzip stream is cut short)"), std::string::npos) << msg;
}

TEST(Idx, CorruptGzipDataIsAnError) {
  TempDir dir;
  std::string full = dir.file("full.gz");
  write_gz(full, images_file());
  std::vector<uint8_t> bytes = nf::data::testing::read_bytes(full);
  for (size_t i = 10; i < bytes.size() - 8; ++i) bytes[i] ^= 0xA5;  // keep the gzip header
  write_bytes(full, bytes);
  std::string msg = error_of([&] { read_idx_images(full); });
  EXPECT_EQ(msg.rfind("idx: " + full + ": corrupt gzip data after 0 bytes: ", 0), 0u) << msg;
}

TEST(Idx, TruncatedOrEmptyHeader) {
  TempDir dir;
  std::string img = dir.file("img");
  write_bytes(img, {0, 0, 8, 3, 0, 0, 0, 3, 0, 0});
  EXPECT_EQ(error_of([&] { read_idx_images(img); }),
            "idx: " + img + ": truncated: the file ends after 10 bytes, inside the 16-byte header");
  write_bytes(img, {});
  EXPECT_EQ(error_of([&] { read_idx_images(img); }), "idx: " + img + ": the file is empty");
}

TEST(Idx, HugeCountsFailFastWithoutAllocating) {
  TempDir dir;
  std::string plain = dir.file("img"), gz = dir.file("img.gz");
  // Over the sanity limit: rejected from the header alone.
  write_bytes(plain, idx_file(0x803, {0x80000000u, 28, 28}, kPixels));
  EXPECT_EQ(error_of([&] { read_idx_images(plain); }),
            "idx: " + plain +
                ": header says 2147483648 images, more than the limit of 10000000 "
                "(corrupt header?)");
  // Under the limits but ~160 TB of pixels announced in a tiny file: a plain
  // file fails on its size, a gzip one after inflating what it holds; a
  // successful allocation would have ended in an out-of-memory error instead.
  std::vector<uint8_t> lying = idx_file(0x803, {9'999'999, 4096, 4096}, kPixels);
  write_bytes(plain, lying);
  write_gz(gz, lying);
  const std::string expect =
      ": truncated: header says 9999999 images of 4096x4096 (167772143222800 "
      "bytes with the header) but the file ends after 34 bytes";
  EXPECT_EQ(error_of([&] { read_idx_images(plain); }), "idx: " + plain + expect);
  EXPECT_EQ(error_of([&] { read_idx_images(gz); }), "idx: " + gz + expect);
}

TEST(Idx, BadDimsAreRejected) {
  TempDir dir;
  std::string img = dir.file("img"), lab = dir.file("lab");
  write_bytes(img, idx_file(0x803, {0, 2, 3}, {}));
  EXPECT_EQ(error_of([&] { read_idx_images(img); }), "idx: " + img + ": header says 0 images");
  write_bytes(img, idx_file(0x803, {3, 5000, 3}, kPixels));
  EXPECT_EQ(error_of([&] { read_idx_images(img); }),
            "idx: " + img + ": header says images of 5000x3; each side must be in 1..4096");
  write_bytes(img, idx_file(0x803, {3, 2, 0}, kPixels));
  EXPECT_EQ(error_of([&] { read_idx_images(img); }),
            "idx: " + img + ": header says images of 2x0; each side must be in 1..4096");
  write_bytes(lab, idx_file(0x801, {20'000'000}, kLabels));
  EXPECT_EQ(error_of([&] { read_idx_labels(lab); }),
            "idx: " + lab +
                ": header says 20000000 labels, more than the limit of 10000000 (corrupt header?)");
}

TEST(Idx, TrailingBytesAreAnError) {
  TempDir dir;
  std::vector<uint8_t> longer = images_file();
  longer.push_back(7);
  std::string plain = dir.file("img"), gz = dir.file("img.gz");
  write_bytes(plain, longer);
  write_gz(gz, longer);
  EXPECT_EQ(error_of([&] { read_idx_images(plain); }),
            "idx: " + plain +
                ": 1 extra bytes after the 3 images of 2x3 the header announces (34 bytes with the "
                "header)");
  EXPECT_EQ(
      error_of([&] { read_idx_images(gz); }),
      "idx: " + gz +
          ": extra data after the 3 images of 2x3 the header announces (34 bytes with the header)");
}

TEST(Idx, CountMismatchAndLabelRange) {
  TempDir dir;
  std::string img = dir.file("img"), lab = dir.file("lab");
  write_bytes(img, images_file());
  write_bytes(lab, idx_file(0x801, {2}, {1, 2}));
  EXPECT_EQ(error_of([&] { load_idx(img, lab); }),
            "idx: " + img + " has 3 images but " + lab + " has 2 labels");
  write_bytes(lab, idx_file(0x801, {3}, {1, 10, 2}));
  EXPECT_EQ(error_of([&] { load_idx(img, lab); }),
            "idx: " + lab + ": label 10 at index 1 is out of range for 10 classes");
  EXPECT_NO_THROW(load_idx(img, lab, 11));
}

TEST(Idx, MissingFile) {
  TempDir dir;
  std::string path = dir.str() + "/nope";
  EXPECT_EQ(error_of([&] { read_idx_images(path); }),
            "idx: " + path + ": cannot open: No such file or directory");
}

TEST(FashionMnist, FindsStandardNamesPlainOrGz) {
  TempDir dir;
  write_gz(dir.file("train-images-idx3-ubyte.gz"), images_file());
  write_gz(dir.file("train-labels-idx1-ubyte.gz"), labels_file());
  write_bytes(dir.file("t10k-images-idx3-ubyte"), idx_file(0x803, {1, 2, 3}, pixels(6)));
  write_bytes(dir.file("t10k-labels-idx1-ubyte"), idx_file(0x801, {1}, {3}));
  auto train = load_fashion_mnist(dir.str(), true);
  expect_matches(*train);
  EXPECT_EQ(train->class_names().at(9), "Ankle boot");
  auto test = load_fashion_mnist(dir.str(), false);
  EXPECT_EQ(test->size(), 1);
  EXPECT_EQ(test->labels().to_vector<int64_t>(), (std::vector<int64_t>{3}));

  TempDir empty;
  EXPECT_EQ(error_of([&] { load_fashion_mnist(empty.str(), true); }),
            "fashion-mnist: no train-images-idx3-ubyte or train-images-idx3-ubyte.gz in " +
                empty.str() +
                " (point NF_DATA_DIR or the data directory option at the files; on Debian: apt "
                "install dataset-fashion-mnist)");
}

TEST(FashionMnist, DefaultDirFollowsEnvironment) {
  const char* old = std::getenv("NF_DATA_DIR");
  std::string saved = old ? old : "";
  setenv("NF_DATA_DIR", "/some/where", 1);
  EXPECT_EQ(default_data_dir(), "/some/where");
  unsetenv("NF_DATA_DIR");
  EXPECT_EQ(default_data_dir(), "/usr/share/datasets/fashion-mnist");
  if (old) setenv("NF_DATA_DIR", saved.c_str(), 1);
}

TEST(FashionMnist, RealFilesWhenInstalled) {
  const std::string dir = default_data_dir();
  namespace fs = std::filesystem;
  if (!fs::exists(fs::path(dir) / "train-images-idx3-ubyte.gz") &&
      !fs::exists(fs::path(dir) / "train-images-idx3-ubyte"))
    GTEST_SKIP() << "Fashion-MNIST not found in " << dir
                 << " (apt install dataset-fashion-mnist, or set NF_DATA_DIR)";
  for (bool train : {true, false}) {
    auto ds = load_fashion_mnist("", train);
    const int64_t n = train ? 60000 : 10000;
    ASSERT_EQ(ds->size(), n);
    EXPECT_EQ(ds->images().shape(), (Shape{n, 1, 28, 28}));
    // Fashion-MNIST is balanced: every class 0..9 has n/10 examples.
    std::vector<int64_t> counts(10, 0);
    for (int64_t y : ds->labels().to_vector<int64_t>()) {
      ASSERT_TRUE(y >= 0 && y < 10) << y;
      ++counts[size_t(y)];
    }
    for (int64_t c : counts) EXPECT_EQ(c, n / 10);
    Example ex = ds->get(0);
    EXPECT_EQ(ex.image.shape(), (Shape{1, 28, 28}));
  }
}
