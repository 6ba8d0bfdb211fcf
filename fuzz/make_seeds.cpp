// Writes the seed corpora of the fuzz targets: valid files made with the
// library's own writers where it has one (safetensors, checkpoints, genotype
// JSON and notations, experiments) and by the format's layout otherwise
// (IDX, CIFAR; images through stb_image_write).
//   make_seeds OUT  ->  OUT/<target>/<seed>, <target> as in fuzz/fuzz_<target>.cpp
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_net.h"
#include "nas/experiment.h"
#include "nas/notation.h"
#include "nas/search.h"
#include "nas/space.h"
#include "nas/strategy.h"
#include "nn/safetensors.h"
#include "tensor/factory.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Bytes = std::vector<uint8_t>;

fs::path out_root;

fs::path seed_path(const std::string& target, const std::string& name) {
  fs::create_directories(out_root / target);
  return out_root / target / name;
}

void write(const std::string& target, const std::string& name, const std::string& bytes) {
  std::ofstream out(seed_path(target, name), std::ios::binary);
  out << bytes;
  NF_CHECK(out.good(), "make_seeds: cannot write ", seed_path(target, name).string());
}
void write(const std::string& target, const std::string& name, const Bytes& b) {
  write(target, name, std::string(b.begin(), b.end()));
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string gzip(const std::string& plain) {
  const fs::path tmp = out_root / "tmp.gz";
  gzFile f = gzopen(tmp.c_str(), "wb");
  NF_CHECK(f && gzwrite(f, plain.data(), unsigned(plain.size())) == int(plain.size()) && gzclose(f) == Z_OK,
           "make_seeds: cannot gzip into ", tmp.string());
  std::string out = read(tmp);
  fs::remove(tmp);
  return out;
}

// IDX: big-endian magic 0x000008NN, NN dims, then u8 data.
std::string idx(const std::vector<uint32_t>& dims) {
  std::string s = {0, 0, 8, char(dims.size())};
  size_t n = 1;
  for (uint32_t d : dims) {
    for (int b = 3; b >= 0; --b) s += char(d >> (8 * b));
    n *= d;
  }
  for (size_t i = 0; i < n; ++i) s += char(i * 37 % 10);
  return s;
}

void idx_seeds() {
  const std::string images = idx({3, 4, 5}), labels = idx({3});
  write("idx", "images", images);
  write("idx", "labels", labels);
  write("idx", "images.gz", gzip(images));
  write("idx", "labels.gz", gzip(labels));
}

void cifar_seeds() {
  for (int label_bytes : {1, 2}) {
    std::string s;
    for (int r = 0; r < 2; ++r) {
      for (int l = 0; l < label_bytes; ++l) s += char(r * 3 + l);
      for (int p = 0; p < 3 * 32 * 32; ++p) s += char((p * 7 + r) % 256);
    }
    write("cifar", label_bytes == 1 ? "cifar10.bin" : "cifar100.bin", s);
  }
}

void image_seeds() {
  auto sink = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), size_t(size));
  };
  for (int c : {1, 2, 3, 4}) {
    const int w = 5, h = 4;
    std::vector<uint8_t> px(size_t(w * h * c));
    for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t(i * 29 % 256);
    std::string png, bmp, jpg;
    stbi_write_png_to_func(sink, &png, w, h, c, px.data(), w * c);
    stbi_write_bmp_to_func(sink, &bmp, w, h, c, px.data());
    stbi_write_jpg_to_func(sink, &jpg, w, h, c, px.data(), 90);
    const std::string tag = std::to_string(c) + "ch";
    write("image", tag + ".png", png);
    write("image", tag + ".bmp", bmp);
    write("image", tag + ".jpg", jpg);
  }
}

void safetensors_seeds() {
  const fs::path p = seed_path("safetensors", "mixed.safetensors");
  nf::nn::save_safetensors(p.string(),
                           {{"f", nf::from_vector(std::vector<float>{1.5f, -2.f, 0.25f}, {3})},
                            {"d", nf::from_vector(std::vector<double>{0.5}, {1})},
                            {"i", nf::from_vector(std::vector<int64_t>{7, -1, 3, 4}, {2, 2})},
                            {"u", nf::from_vector(std::vector<uint8_t>{9}, {})},
                            {"b", nf::full({2}, 1.0, {nf::DType::boolean})},
                            {"empty", nf::empty({0, 3})}},
                           {{"note", "seed"}});
  nf::nn::save_safetensors(seed_path("safetensors", "empty.safetensors").string(), {});
}

void checkpoint_seeds() {
  auto net = nf::fuzz::checkpoint_net();
  nf::optim::Adam adam(net->parameters());
  nf::nn::save_state(seed_path("checkpoint", "model.safetensors").string(), *net, nullptr, {{"epoch", "3"}});
  nf::nn::save_state(seed_path("checkpoint", "model_adam.safetensors").string(), *net, &adam);
}

const char* kDarts =
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=range(2, 6))";
const char* kNb201 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|";
const char* kMacro = "3x5 f36 s1 | 5x5 f48 s2 | 3x7 f24 s1 skip=0 | 1x1 f64 s1 skip=0,1";

void genotype_seeds() {
  int i = 0;
  for (const char* text : {kDarts, kNb201, kMacro}) {
    const nf::nas::Genotype g = nf::nas::parse_genotype(text);
    const std::string space(nf::nas::space_name(g));
    write("notation", space + ".txt", std::string(text));
    write("notation", space + "_printed.txt", nf::nas::to_string(g));
    write("genotype_json", space + ".json", json(g).dump());
    const json best = {{"trial", i++},
                       {"genotype", g},
                       {"space", nf::nas::make_space(json{{"space", space}})->config()},
                       {"network", json::object()}};
    write("genotype_json", space + "_best.json", best.dump(2));
  }
}

// A real experiment per strategy, a few trials in, packed as the target reads it.
void experiment_seeds() {
  const std::vector<std::pair<std::string, json>> runs = {
      {"random", json::object()},
      {"evolution", {{"population_size", 3}, {"sample_size", 2}}},
      {"reinforce", {{"hidden_size", 4}}}};
  const std::vector<std::string> spaces = {"nb201", "macro", "darts"};
  for (size_t k = 0; k < runs.size(); ++k) {
    const auto& [name, options] = runs[k];
    const fs::path dir = out_root / ("tmp_experiment_" + name);
    fs::remove_all(dir);
    auto space = nf::nas::make_space(json{{"space", spaces[k]}});
    auto strategy = nf::nas::make_strategy(name, *space, options, 7);
    const json config = {{"space", space->config()},
                         {"strategy", {{"name", name}, {"options", strategy->options()}, {"seed", 7}}},
                         {"network", json::object()},
                         {"protocol", json::object()},
                         {"constraints", json::object()}};
    nf::nas::Experiment e = nf::nas::Experiment::create(dir, config);
    int calls = 0;
    auto evaluate = [&](const nf::nas::Genotype&) {
      nf::nas::Evaluation ev;
      ev.val_accuracy = 0.1 * (++calls % 7);
      ev.seconds = 1;
      ev.failed = calls == 2;
      if (ev.failed) ev.reason = "stand-in failure";
      return ev;
    };
    nf::nas::run_search(e, *strategy, evaluate, {.max_trials = 5});
    const std::string packed = read(dir / "config.json") + '\0' + read(dir / "trials.jsonl") + '\0' +
                               read(dir / "strategy.json");
    write("experiment", name + ".bin", packed);
    fs::remove_all(dir);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seeds OUT_DIR\n";
    return 2;
  }
  try {
    out_root = argv[1];
    fs::create_directories(out_root);
    idx_seeds();
    cifar_seeds();
    image_seeds();
    safetensors_seeds();
    checkpoint_seeds();
    genotype_seeds();
    experiment_seeds();
  } catch (const std::exception& e) {
    std::cerr << "make_seeds: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
