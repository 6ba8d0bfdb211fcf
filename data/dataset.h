// Datasets: a size and random access to (image, label) examples.
//
// Readers (IDX, CIFAR binary, image folders) decode a whole file set once into
// a TensorDataset held in memory; SubsetDataset views a list of its indices
// (train/validation splits). Images come out as f32 [C,H,W]; stored u8 pixels
// are scaled to [0,1] on the way out.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace nf::data {

struct Example {
  Tensor image;  // [C,H,W] f32
  int64_t label;
};

// A batch as the DataLoader yields it: contiguous images [B,C,H,W] f32 and labels [B] i64.
struct Batch {
  Tensor images;
  Tensor labels;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual Example get(int64_t i) const = 0;
  // Number of classes (labels lie in [0, num_classes)).
  virtual int64_t num_classes() const = 0;
  // The examples at `indices` stacked into one Batch. The default calls get()
  // per index; in-memory datasets override it with one gather.
  virtual Batch get_batch(const std::vector<int64_t>& indices) const;
};

// Examples held in memory: images [N,C,H,W] u8 or f32, labels [N] i64 (CPU).
class TensorDataset : public Dataset {
 public:
  // Checks shapes, dtypes and that every label lies in [0, num_classes).
  TensorDataset(Tensor images, Tensor labels, int64_t num_classes,
                std::vector<std::string> class_names = {});

  int64_t size() const override { return images_.size(0); }
  Example get(int64_t i) const override;
  int64_t num_classes() const override { return num_classes_; }
  Batch get_batch(const std::vector<int64_t>& indices) const override;

  const Tensor& images() const { return images_; }
  const Tensor& labels() const { return labels_; }
  // Names of the classes when the source has them (image folders), else empty.
  const std::vector<std::string>& class_names() const { return class_names_; }

 private:
  Tensor images_, labels_;
  int64_t num_classes_;
  std::vector<std::string> class_names_;
};

// The examples of `base` at `indices`, in that order.
class SubsetDataset : public Dataset {
 public:
  SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices);

  int64_t size() const override { return int64_t(indices_.size()); }
  Example get(int64_t i) const override;
  int64_t num_classes() const override { return base_->num_classes(); }
  Batch get_batch(const std::vector<int64_t>& indices) const override;

  const std::vector<int64_t>& indices() const { return indices_; }

 private:
  std::shared_ptr<const Dataset> base_;
  std::vector<int64_t> indices_;
};

}  // namespace nf::data
