// The built-in models and data sets of `nasforge train` / `nasforge eval`,
// shared so that eval rebuilds exactly what train saved.
//
// Models (input [N,C,H,W] -> logits [N,classes]):
//   mlp     flatten - 512 - ReLU - 256 - ReLU - classes
//   cnn     (conv3x3-BN-ReLU) x2 at 32 ch, maxpool, x2 at 64 ch, maxpool, flatten, linear
//   resnet  conv3x3(16)-BN-ReLU stem, BasicBlocks at 16/32/64 channels
//           (strides 1/2/2), global average pool, linear
// Data specs: "fashion-mnist", "cifar10", "folder:PATH" (PATH/train and
// PATH/test, each an image folder of class sub-folders).
#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "data/dataset.h"
#include "data/transforms.h"
#include "nas/accuracy.h"
#include "nn/module.h"
#include "tensor/shape.h"

namespace nf::tools {

// Builds model `name` for images [C,H,W] = image_shape; throws for an unknown name.
std::shared_ptr<nn::Module> make_model(const std::string& name, const Shape& image_shape,
                                       int64_t classes);
bool is_model_name(const std::string& name);

// A searched architecture, as `nasforge train --genotype` stores it in a run's
// config.json: {"space": <space config>, "genotype": <genotype JSON>,
// "network": <nas::NetworkConfig JSON>}.
// read_architecture reads one from `path`: an experiment's best.json (any JSON
// object with "genotype", optionally "space" and "network"), or a bare genotype
// JSON (its space then gets default options). Errors name the file and field.
nlohmann::json read_architecture(const std::string& command, const std::string& path);
// Builds it for images [C,H,W] = image_shape and `classes` (which replace the
// network config's own).
std::shared_ptr<nn::Module> make_architecture(const nlohmann::json& architecture, const Shape& image_shape,
                                              int64_t classes);

// Throws nf::Error for a malformed spec (message prefixed "nasforge <command>: ").
void check_data_spec(const std::string& command, const std::string& spec);
// The train or test split of a data set. When the files are missing the error
// is one line naming the directory looked in and how to fix it.
std::shared_ptr<data::TensorDataset> load_data(const std::string& command, const std::string& spec,
                                               const std::string& data_dir, bool train);
// Per-batch input transforms: normalisation by the data set's channel
// statistics, plus (for training on CIFAR-10) random crop and flip; with
// cutout > 0 the training transform ends with Cutout(cutout) (a cutout x cutout
// square of each normalised image zeroed, i.e. set to the data set's mean, as
// the DARTS reference applies it after normalising).
data::Transform eval_transform(const std::string& spec);
data::Transform train_transform(const std::string& spec, int64_t cutout = 0);

// The evaluation loop lives in nas/accuracy.h (shared with NAS trials).
using nas::EvalResult;
using nas::evaluate;

}  // namespace nf::tools
