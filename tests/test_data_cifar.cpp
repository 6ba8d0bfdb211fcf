// CIFAR-10/100 binary reader: exact records, file order, sizes and label ranges.
#include <gtest/gtest.h>

#include "data/cifar.h"
#include "test_data_util.h"

using namespace nf;
using namespace nf::data;
using nf::data::testing::error_of;
using nf::data::testing::TempDir;
using nf::data::testing::write_bytes;

namespace {

// `n` records whose pixel bytes depend on (record, position); labels given.
std::vector<uint8_t> records(const std::vector<std::vector<uint8_t>>& labels, int seed) {
  std::vector<uint8_t> out;
  for (size_t r = 0; r < labels.size(); ++r) {
    out.insert(out.end(), labels[r].begin(), labels[r].end());
    for (int p = 0; p < 3072; ++p) out.push_back(uint8_t((p * 7 + int(r) * 13 + seed) % 256));
  }
  return out;
}

std::vector<uint8_t> pixels_of(const std::vector<uint8_t>& file, int64_t record_size, int64_t r) {
  auto begin = file.begin() + r * record_size + (record_size - 3072);
  return {begin, begin + 3072};
}

}  // namespace

TEST(Cifar, Cifar10ReadsRecordsExactlyAcrossFiles) {
  TempDir dir;
  std::vector<uint8_t> a = records({{3}, {9}}, 0), b = records({{0}}, 100);
  write_bytes(dir.file("a.bin"), a);
  write_bytes(dir.file("b.bin"), b);
  auto ds = read_cifar({dir.file("a.bin"), dir.file("b.bin")}, CifarKind::cifar10);
  ASSERT_EQ(ds->size(), 3);
  EXPECT_EQ(ds->images().shape(), (Shape{3, 3, 32, 32}));
  EXPECT_EQ(ds->labels().to_vector<int64_t>(), (std::vector<int64_t>{3, 9, 0}));
  EXPECT_EQ(ds->num_classes(), 10);
  EXPECT_EQ(ds->class_names().at(3), "cat");
  std::vector<uint8_t> all = ds->images().to_vector<uint8_t>();
  for (int64_t r = 0; r < 3; ++r) {
    std::vector<uint8_t> expect = r < 2 ? pixels_of(a, 3073, r) : pixels_of(b, 3073, 0);
    EXPECT_TRUE(std::equal(expect.begin(), expect.end(), all.begin() + r * 3072)) << r;
  }
  // The stored R, G, B planes are the [3,32,32] channels.
  Example ex = ds->get(1);
  EXPECT_EQ(ex.image.shape(), (Shape{3, 32, 32}));
  EXPECT_FLOAT_EQ(float(ex.image.at({1, 0, 0})), float(a[3073 + 1 + 1024]) / 255.0f);
}

TEST(Cifar, Cifar100CoarseAndFine) {
  TempDir dir;
  std::string f = dir.file("train.bin");
  write_bytes(f, records({{19, 99}, {0, 42}}, 5));
  auto fine = load_cifar100(dir.str(), true, true);
  EXPECT_EQ(fine->labels().to_vector<int64_t>(), (std::vector<int64_t>{99, 42}));
  EXPECT_EQ(fine->num_classes(), 100);
  auto coarse = load_cifar100(dir.str(), true, false);
  EXPECT_EQ(coarse->labels().to_vector<int64_t>(), (std::vector<int64_t>{19, 0}));
  EXPECT_EQ(coarse->num_classes(), 20);
  EXPECT_EQ(fine->images().to_vector<uint8_t>(), coarse->images().to_vector<uint8_t>());
}

TEST(Cifar, SizeMustBeWholeRecords) {
  TempDir dir;
  std::string f = dir.file("x.bin");
  std::vector<uint8_t> bytes = records({{1}, {2}}, 0);
  bytes.resize(bytes.size() + 5);
  write_bytes(f, bytes);
  EXPECT_EQ(error_of([&] { read_cifar({f}, CifarKind::cifar10); }),
            "cifar: " + f +
                ": file size 6151 is not a positive multiple of the 3073-byte CIFAR-10 "
                "record (1 label byte + 3072 pixel bytes)");
  write_bytes(f, {});
  EXPECT_EQ(error_of([&] { read_cifar({f}, CifarKind::cifar100_fine); }),
            "cifar: " + f +
                ": file size 0 is not a positive multiple of the 3074-byte CIFAR-100 "
                "record (2 label bytes + 3072 pixel bytes)");
  // A CIFAR-10 file of 2 records read as CIFAR-100: 6146 = 2 * 3073 is not a multiple of 3074.
  write_bytes(f, records({{1}, {2}}, 0));
  EXPECT_NE(error_of([&] { read_cifar({f}, CifarKind::cifar100_fine); }).find("file size 6146"),
            std::string::npos);
}

TEST(Cifar, LabelsMustBeInRange) {
  TempDir dir;
  std::string f = dir.file("x.bin");
  write_bytes(f, records({{1}, {10}}, 0));
  EXPECT_EQ(
      error_of([&] { read_cifar({f}, CifarKind::cifar10); }),
      "cifar: " + f + ": label 10 in record 1 is out of range for 10 classes (a CIFAR-100 file?)");
  write_bytes(f, records({{20, 5}}, 0));
  EXPECT_EQ(error_of([&] { read_cifar({f}, CifarKind::cifar100_coarse); }),
            "cifar: " + f + ": label 20 in record 0 is out of range for 20 classes");
  write_bytes(f, records({{2, 100}}, 0));
  EXPECT_EQ(error_of([&] { read_cifar({f}, CifarKind::cifar100_fine); }),
            "cifar: " + f + ": label 100 in record 0 is out of range for 100 classes");
}

TEST(Cifar, Cifar10DirectoryLayout) {
  TempDir dir;
  for (int i = 1; i <= 5; ++i)
    write_bytes(dir.file("data_batch_" + std::to_string(i) + ".bin"), records({{uint8_t(i)}}, i));
  write_bytes(dir.file("test_batch.bin"), records({{7}, {8}}, 9));
  EXPECT_EQ(load_cifar10(dir.str(), true)->labels().to_vector<int64_t>(),
            (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(load_cifar10(dir.str(), false)->size(), 2);
  TempDir empty;
  std::string missing = empty.str() + "/test_batch.bin";
  EXPECT_EQ(error_of([&] { load_cifar10(empty.str(), false); }),
            "cifar: " + missing + ": cannot open: No such file or directory");
}
