#include "tools/models.h"

#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "autograd/functions.h"
#include "data/cifar.h"
#include "data/idx.h"
#include "data/image_folder.h"
#include "nas/genotype.h"
#include "nas/network.h"
#include "nas/space.h"
#include "nn/nn.h"
#include "tensor/error.h"

namespace nf::tools {

namespace fs = std::filesystem;

namespace {

std::shared_ptr<nn::SequentialImpl> conv_bn_relu(int64_t in, int64_t out) {
  return nn::Sequential(nn::Conv2d(in, out, 3, {.padding = 1, .bias = false}), nn::BatchNorm2d(out),
                        nn::ReLU());
}

// He et al. 2016: relu(bn(conv(relu(bn(conv(x))))) + shortcut(x)); the
// shortcut is a strided 1x1 conv + BN when the shape changes, else identity.
class BasicBlock : public nn::Module {
 public:
  BasicBlock(int64_t in, int64_t out, int64_t stride) : Module("BasicBlock") {
    conv1 = register_module("conv1", nn::Conv2d(in, out, 3, {.stride = stride, .padding = 1, .bias = false}));
    bn1 = register_module("bn1", nn::BatchNorm2d(out));
    conv2 = register_module("conv2", nn::Conv2d(out, out, 3, {.padding = 1, .bias = false}));
    bn2 = register_module("bn2", nn::BatchNorm2d(out));
    if (stride != 1 || in != out)
      shortcut = register_module(
          "shortcut", nn::Sequential(nn::Conv2d(in, out, 1, {.stride = stride, .bias = false}), nn::BatchNorm2d(out)));
  }
  Tensor forward(const Tensor& x) override {
    Tensor y = bn2->forward(conv2->forward(relu(bn1->forward(conv1->forward(x)))));
    return relu(y + (shortcut ? shortcut->forward(x) : x));
  }

 private:
  std::shared_ptr<nn::Conv2dImpl> conv1, conv2;
  std::shared_ptr<nn::BatchNorm2dImpl> bn1, bn2;
  std::shared_ptr<nn::SequentialImpl> shortcut;
};

struct Normalisation {
  std::vector<double> mean, stddev;
};

// Channel statistics of each training set (of the [0,1]-scaled pixels).
Normalisation normalisation(const std::string& spec) {
  if (spec == "fashion-mnist") return {{0.2860}, {0.3530}};
  if (spec == "cifar10") return {{0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616}};
  return {{0.5}, {0.5}};  // image folders: unknown statistics, map [0,1] to [-1,1]
}

bool has_idx(const std::string& dir, const std::string& stem) {
  return fs::exists(fs::path(dir) / stem) || fs::exists(fs::path(dir) / (stem + ".gz"));
}

}  // namespace

nlohmann::json read_architecture(const std::string& command, const std::string& path) {
  using json = nlohmann::json;
  std::ifstream in(path);
  NF_CHECK(in.good(), "nasforge ", command, ": cannot read --genotype ", path);
  const json j = json::parse(in, nullptr, false);
  NF_CHECK(!j.is_discarded() && j.is_object(), "nasforge ", command, ": --genotype ", path,
           " is not a JSON object (expected an experiment's best.json or a genotype)");
  try {
    const bool wrapped = j.contains("genotype");  // best.json; else a bare genotype, whose "space" is its tag
    const nas::Genotype genotype = (wrapped ? j["genotype"] : j).get<nas::Genotype>();
    json space = wrapped && j.contains("space") ? j["space"] : json{{"space", std::string(nas::space_name(genotype))}};
    const auto network = (wrapped ? j.value("network", json::object()) : json::object()).get<nas::NetworkConfig>();
    nas::make_space(space)->encode(genotype);  // the genotype must belong to the space
    return {{"space", space}, {"genotype", genotype}, {"network", network}};
  } catch (const nf::Error& e) {
    NF_FAIL("nasforge ", command, ": --genotype ", path, ": ", e.what());
  }
}

std::shared_ptr<nn::Module> make_architecture(const nlohmann::json& architecture, const Shape& image_shape,
                                              int64_t classes) {
  auto network = architecture.at("network").get<nas::NetworkConfig>();
  network.image_shape.assign(image_shape.begin(), image_shape.end());
  network.num_classes = classes;
  return nas::make_space(architecture.at("space"))->build(architecture.at("genotype").get<nas::Genotype>(), network);
}

bool is_model_name(const std::string& name) { return name == "mlp" || name == "cnn" || name == "resnet"; }

std::shared_ptr<nn::Module> make_model(const std::string& name, const Shape& image_shape, int64_t classes) {
  NF_CHECK(image_shape.size() == 3, "make_model: image shape must be [C,H,W], got rank ", image_shape.size());
  const int64_t c = image_shape[0], h = image_shape[1], w = image_shape[2];
  if (name == "mlp")
    return nn::Sequential(nn::Flatten(), nn::Linear(c * h * w, 512), nn::ReLU(), nn::Linear(512, 256),
                          nn::ReLU(), nn::Linear(256, classes));
  if (name == "cnn") {
    // Two 2x2 max-pools (floor): [64, H/4, W/4] reaches the classifier.
    return nn::Sequential(conv_bn_relu(c, 32), conv_bn_relu(32, 32), nn::MaxPool2d(2), conv_bn_relu(32, 64),
                          conv_bn_relu(64, 64), nn::MaxPool2d(2), nn::Flatten(),
                          nn::Linear(64 * (h / 2 / 2) * (w / 2 / 2), classes));
  }
  if (name == "resnet") {
    return nn::Sequential(conv_bn_relu(c, 16), std::make_shared<BasicBlock>(16, 16, 1),
                          std::make_shared<BasicBlock>(16, 32, 2), std::make_shared<BasicBlock>(32, 64, 2),
                          nn::GlobalAvgPool(), nn::Linear(64, classes));
  }
  NF_FAIL("unknown model '", name, "' (valid: mlp, cnn, resnet)");
}

void check_data_spec(const std::string& command, const std::string& spec) {
  if (spec == "fashion-mnist" || spec == "cifar10") return;
  NF_CHECK(spec.rfind("folder:", 0) == 0 && spec.size() > 7, "nasforge ", command, ": --data must be ",
           "fashion-mnist, cifar10 or folder:PATH, got '", spec, "'");
}

std::shared_ptr<data::TensorDataset> load_data(const std::string& command, const std::string& spec,
                                               const std::string& data_dir, bool train) {
  check_data_spec(command, spec);
  const std::string split = train ? "train" : "test";
  if (spec == "fashion-mnist") {
    const std::string dir = data_dir.empty() ? data::default_data_dir() : data_dir;
    const std::string prefix = train ? "train" : "t10k";
    NF_CHECK(has_idx(dir, prefix + "-images-idx3-ubyte") && has_idx(dir, prefix + "-labels-idx1-ubyte"),
             "nasforge ", command, ": Fashion-MNIST not found in ", dir,
             " (install the Debian package dataset-fashion-mnist, or pass --data-dir DIR)");
    return data::load_fashion_mnist(dir, train);
  }
  if (spec == "cifar10") {
    NF_CHECK(!data_dir.empty(), "nasforge ", command,
             ": --data cifar10 needs --data-dir DIR (the extracted cifar-10-batches-bin folder)");
    const char* probe = train ? "data_batch_1.bin" : "test_batch.bin";
    NF_CHECK(fs::exists(fs::path(data_dir) / probe), "nasforge ", command, ": CIFAR-10 not found in ",
             data_dir, " (no ", probe, "; pass --data-dir with the extracted cifar-10-batches-bin folder)");
    return data::load_cifar10(data_dir, train);
  }
  const fs::path root = fs::path(spec.substr(7)) / split;
  NF_CHECK(fs::is_directory(root), "nasforge ", command, ": image folder ", root.string(),
           " not found (--data folder:PATH needs PATH/train and PATH/test, each with one sub-folder per class)");
  return data::load_image_folder(root.string());
}

data::Transform eval_transform(const std::string& spec) {
  Normalisation n = normalisation(spec);
  return data::transforms::Normalize(n.mean, n.stddev);
}

data::Transform train_transform(const std::string& spec, int64_t cutout) {
  NF_CHECK(cutout >= 0, "train_transform: cutout must be >= 0, got ", cutout);
  std::vector<data::Transform> steps;
  if (spec == "cifar10") {
    steps.push_back(data::transforms::RandomCrop(32, 4));
    steps.push_back(data::transforms::RandomHorizontalFlip());
  }
  steps.push_back(eval_transform(spec));
  if (cutout > 0) steps.push_back(data::transforms::Cutout(cutout));
  return steps.size() == 1 ? steps[0] : data::transforms::Compose(std::move(steps));
}

}  // namespace nf::tools
