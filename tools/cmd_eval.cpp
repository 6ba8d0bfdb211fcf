// `nasforge eval`: rebuilds the model of a training run from the config.json
// next to its checkpoint, loads the weights and reports test accuracy and loss.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "nn/checkpoint.h"
#include "tensor/error.h"
#include "tools/commands.h"
#include "tools/device_flag.h"
#include "tools/models.h"

namespace nf::tools {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const char* kHelp =
    "usage: nasforge eval --checkpoint DIR|FILE [flags]\n"
    "  --checkpoint DIR|FILE  a run directory of `nasforge train` or its checkpoint.safetensors\n"
    "                         (config.json must lie next to it)\n"
    "  --data SPEC            data set to test on (default: the run's)\n"
    "  --data-dir DIR         where it lies (default: the run's)\n"
    "  --batch-size B         examples per forward pass (default 256)\n"
    "  --device cpu|cuda[:N]  where the network runs (default cpu)\n";

std::string config_text(const json& config, const char* key) {
  NF_CHECK(config.contains(key) && config[key].is_string(), "nasforge eval: config.json has no string '", key, "'");
  return config[key].get<std::string>();
}

}  // namespace

int cmd_eval(Flags& flags) {
  if (flags.has("help")) {
    std::cout << kHelp;
    return 0;
  }
  // Every flag first, so a typo is reported before any path is looked at.
  const std::string checkpoint = flags.text("checkpoint", "");
  const std::string data_flag = flags.text("data", ""), data_dir_flag = flags.text("data-dir", "");
  const int64_t batch_size = flags.integer("batch-size", 256, 1, 65536);
  const Device device = read_device_flag(flags);
  flags.finish();
  check_device_usable("eval", device);
  NF_CHECK(!checkpoint.empty(), "nasforge eval: --checkpoint DIR|FILE is required");
  const fs::path ckpt = fs::is_directory(checkpoint) ? fs::path(checkpoint) / "checkpoint.safetensors"
                                                     : fs::path(checkpoint);
  NF_CHECK(fs::is_regular_file(ckpt), "nasforge eval: --checkpoint: no checkpoint at ", ckpt.string(),
           " (pass a run directory of nasforge train or its checkpoint.safetensors)");
  const fs::path config_path = ckpt.parent_path() / "config.json";
  std::ifstream in(config_path);
  NF_CHECK(in.good(), "nasforge eval: no config.json next to ", ckpt.string(),
           " (it tells which model to rebuild)");
  const json config = json::parse(in, nullptr, false);
  NF_CHECK(!config.is_discarded() && config.is_object(), "nasforge eval: ", config_path.string(),
           " is not a JSON object");

  const std::string model = config_text(config, "model");
  const std::string spec = data_flag.empty() ? config_text(config, "data") : data_flag;
  const std::string data_dir = data_dir_flag.empty() ? config_text(config, "data-dir") : data_dir_flag;

  auto test_set = load_data("eval", spec, data_dir, false);
  const Shape image_shape(test_set->images().shape().begin() + 1, test_set->images().shape().end());
  auto net = model == "genotype" ? make_architecture(config.at("architecture"), image_shape, test_set->num_classes())
                                 : make_model(model, image_shape, test_set->num_classes());
  net->to(device);
  auto meta = nn::load_state(ckpt.string(), *net);  // copies the host file onto the device
  const EvalResult r = evaluate(*net, test_set, eval_transform(spec), batch_size);
  const auto epoch = meta.find("epoch");
  std::printf("%s after %s epochs on %s: test accuracy %.2f%% (loss %.4f, %lld images)\n", model.c_str(),
              epoch == meta.end() ? "?" : epoch->second.c_str(), spec.c_str(), 100.0 * r.accuracy, r.loss,
              static_cast<long long>(r.count));
  std::fflush(stdout);
  return 0;
}

}  // namespace nf::tools
