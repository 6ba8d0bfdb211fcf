// CIFAR-10 / CIFAR-100 binary batches (the "binary version" archives).
//
// CIFAR-10 records: 1 label byte + 3072 pixel bytes (1024 R, 1024 G, 1024 B,
// row-major 32x32: already [3,32,32]). CIFAR-100 records: 1 coarse label byte
// (20 classes) + 1 fine label byte (100 classes) + 3072 pixel bytes. A file
// must hold a whole, non-zero number of records, and every label must be in range.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace nf::data {

enum class CifarKind { cifar10, cifar100_coarse, cifar100_fine };

// The records of all `files`, in order, as images u8 [N,3,32,32] and labels
// (with the class names for CIFAR-10).
std::shared_ptr<TensorDataset> read_cifar(const std::vector<std::string>& files, CifarKind kind);

// From the extracted cifar-10-batches-bin directory: data_batch_1..5.bin or test_batch.bin.
std::shared_ptr<TensorDataset> load_cifar10(const std::string& dir, bool train);
// From the extracted cifar-100-binary directory: train.bin or test.bin.
std::shared_ptr<TensorDataset> load_cifar100(const std::string& dir, bool train, bool fine = true);

}  // namespace nf::data
