#include "data/dataset.h"

#include "data/transforms.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace nf::data {

namespace {

void check_index(const char* who, int64_t i, int64_t size) {
  NF_CHECK(i >= 0 && i < size, who, ": index ", i, " out of range for ", size, " examples");
}

}  // namespace

Batch Dataset::get_batch(const std::vector<int64_t>& indices) const {
  NF_CHECK(!indices.empty(), "dataset: get_batch with no indices");
  const int64_t B = int64_t(indices.size());
  std::vector<int64_t> labels(indices.size());
  Tensor images;
  Shape first_shape;
  for (int64_t k = 0; k < B; ++k) {
    Example ex = get(indices[size_t(k)]);
    NF_CHECK(ex.image.dtype() == DType::f32 && ex.image.dim() == 3, "dataset: example ",
             indices[size_t(k)], " is ", dtype_name(ex.image.dtype()), " ",
             shape_str(ex.image.shape()), ", expected an f32 image [C,H,W]");
    if (k == 0) {
      first_shape = ex.image.shape();
      Shape shape = first_shape;
      shape.insert(shape.begin(), B);
      images = empty(shape);
    }
    NF_CHECK(ex.image.shape() == first_shape, "dataset: example ", indices[size_t(k)],
             " has shape ", shape_str(ex.image.shape()), " but example ", indices[0], " has ",
             shape_str(first_shape), "; a batch needs one image size");
    raw::copy_(raw::select(images, 0, k), ex.image);
    labels[size_t(k)] = ex.label;
  }
  return {images, from_vector(labels, {B})};
}

TensorDataset::TensorDataset(Tensor images, Tensor labels, int64_t num_classes,
                             std::vector<std::string> class_names)
    : images_(std::move(images)),
      labels_(std::move(labels)),
      num_classes_(num_classes),
      class_names_(std::move(class_names)) {
  NF_CHECK(images_.defined() && labels_.defined(), "TensorDataset: undefined images or labels");
  NF_CHECK(images_.dim() == 4, "TensorDataset: images must be [N,C,H,W], got ",
           shape_str(images_.shape()));
  NF_CHECK(images_.dtype() == DType::u8 || images_.dtype() == DType::f32,
           "TensorDataset: images must be u8 or f32, got ", dtype_name(images_.dtype()));
  NF_CHECK(labels_.dtype() == DType::i64 && labels_.dim() == 1,
           "TensorDataset: labels must be i64 [N], got ", dtype_name(labels_.dtype()), " ",
           shape_str(labels_.shape()));
  NF_CHECK(labels_.size(0) == images_.size(0), "TensorDataset: ", images_.size(0), " images but ",
           labels_.size(0), " labels");
  NF_CHECK(images_.device().is_cpu() && labels_.device().is_cpu(),
           "TensorDataset: images and labels must be on the CPU");
  NF_CHECK(num_classes_ > 0, "TensorDataset: num_classes must be positive, got ", num_classes_);
  NF_CHECK(class_names_.empty() || int64_t(class_names_.size()) == num_classes_,
           "TensorDataset: ", class_names_.size(), " class names for ", num_classes_, " classes");
  images_ = raw::contiguous(images_);
  labels_ = raw::contiguous(labels_);
  const int64_t* y = labels_.numel() ? labels_.data<int64_t>() : nullptr;
  for (int64_t i = 0; i < labels_.numel(); ++i)
    NF_CHECK(y[i] >= 0 && y[i] < num_classes_, "TensorDataset: label ", y[i], " of example ", i,
             " is out of range for ", num_classes_, " classes");
}

Example TensorDataset::get(int64_t i) const {
  check_index("TensorDataset", i, size());
  Tensor img = raw::select(images_, 0, i);
  // A u8 image is converted into a fresh tensor; an f32 one is copied so that
  // the caller cannot write into the dataset through it.
  img = img.dtype() == DType::u8 ? to_float(img) : raw::clone(img);
  return {img, labels_.data<int64_t>()[i]};
}

Batch TensorDataset::get_batch(const std::vector<int64_t>& indices) const {
  NF_CHECK(!indices.empty(), "TensorDataset: get_batch with no indices");
  for (int64_t i : indices) check_index("TensorDataset", i, size());
  Tensor index = from_vector(indices, {int64_t(indices.size())});
  return {to_float(raw::index_select(images_, 0, index)), raw::index_select(labels_, 0, index)};
}

SubsetDataset::SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices)
    : base_(std::move(base)), indices_(std::move(indices)) {
  NF_CHECK(base_ != nullptr, "SubsetDataset: null base dataset");
  for (int64_t i : indices_) check_index("SubsetDataset", i, base_->size());
}

Example SubsetDataset::get(int64_t i) const {
  check_index("SubsetDataset", i, size());
  return base_->get(indices_[size_t(i)]);
}

Batch SubsetDataset::get_batch(const std::vector<int64_t>& indices) const {
  std::vector<int64_t> mapped(indices.size());
  for (size_t k = 0; k < indices.size(); ++k) {
    check_index("SubsetDataset", indices[k], size());
    mapped[k] = indices_[size_t(indices[k])];
  }
  return base_->get_batch(mapped);
}

}  // namespace nf::data
