// IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed.
//
// Layout: a big-endian magic 0x000008NN (0x08 = unsigned bytes, NN = number of
// dims), NN big-endian u32 dims, then the bytes. Images are 0x00000803
// [count, rows, cols]; labels are 0x00000801 [count].
//
// Everything is validated before memory is committed: the magic, the dims
// (count <= kIdxMaxCount, rows/cols <= kIdxMaxSide), the file's real length
// (gzip files are decompressed incrementally, so a lying header in a small
// file fails after reading what the file holds). Errors read
//   "idx: <path>: <problem>".
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "tensor/tensor.h"

namespace nf::data {

constexpr int64_t kIdxMaxCount = 10'000'000;
constexpr int64_t kIdxMaxSide = 4096;

// Images as u8 [N,1,rows,cols].
Tensor read_idx_images(const std::string& path);
// Labels as i64 [N] (range-checked by load_idx, which knows the class count).
Tensor read_idx_labels(const std::string& path);

// A dataset from an images file and a labels file: same count, labels < num_classes.
std::shared_ptr<TensorDataset> load_idx(const std::string& images_path,
                                        const std::string& labels_path, int64_t num_classes = 10,
                                        std::vector<std::string> class_names = {});

// Where Fashion-MNIST is looked for: $NF_DATA_DIR, else Debian's
// dataset-fashion-mnist location /usr/share/datasets/fashion-mnist.
std::string default_data_dir();

// Fashion-MNIST from `dir` (empty: default_data_dir()), with its class names; the
// standard file names train-/t10k-{images-idx3,labels-idx1}-ubyte, with or without .gz.
std::shared_ptr<TensorDataset> load_fashion_mnist(const std::string& dir, bool train);

}  // namespace nf::data
