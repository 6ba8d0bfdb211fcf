// `nasforge train` and `nasforge eval`, called as functions on a tiny
// synthetic data set in the Fashion-MNIST file layout (8x8 images, 10 classes:
// a fixed random template per class plus noise), and, when installed, on the
// real Fashion-MNIST.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "nas/genotype.h"
#include "nas/notation.h"
#include "tensor/error.h"
#include "tensor/factory.h"
#include "tensor/random.h"
#include "tests/cli_util.h"
#include "tools/commands.h"
#include "tools/models.h"

namespace fs = std::filesystem;
using nf::tools::Flags;
using json = nlohmann::json;

using namespace cli_test;

namespace {

std::vector<json> read_metrics(const fs::path& path) {
  std::ifstream in(path);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

class CliTrain : public testing::Test {
 protected:
  void SetUp() override { write_synthetic(data.path); }
  std::vector<std::string> base_args(const std::string& model = "mlp") const {
    return {"--model", model, "--data", "fashion-mnist", "--data-dir", data.path.string(), "--batch-size", "32",
            "--seed", "3", "--out", (runs.path / model).string()};
  }
  TempDir data, runs;
};

const char* kDartsV2 =
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), "
    "('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

// A best.json-like file holding `genotype` for a tiny network (C 2, 3 cells).
std::string write_architecture(const fs::path& path, const nf::nas::Genotype& genotype, const std::string& space) {
  std::ofstream out(path);
  out << json{{"genotype", genotype}, {"space", {{"space", space}}}, {"network", {{"channels", 2}, {"cells", 3}}}}.dump();
  return path.string();
}

json read_json(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

}  // namespace

TEST_F(CliTrain, WritesConfigMetricsAndCheckpointThenResumeAppends) {
  auto args = base_args();
  args.insert(args.end(), {"--epochs", "1", "--limit", "200", "--val-fraction", "0.25", "--lr", "0.05"});
  Outcome first = run(nf::tools::cmd_train, "train", args);
  ASSERT_EQ(first.rc, 0) << first.error;
  const fs::path dir = runs.path / "mlp";
  EXPECT_TRUE(fs::exists(dir / "checkpoint.safetensors"));
  EXPECT_NE(first.out.find("epoch 1/1"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("test accuracy: "), std::string::npos) << first.out;

  std::ifstream config_in(dir / "config.json");
  json config = json::parse(config_in);
  EXPECT_EQ(config["model"], "mlp");
  EXPECT_EQ(config["limit"], 200);
  EXPECT_EQ(config["lr"], 0.05);
  EXPECT_EQ(config["optimizer"], "sgd");

  auto metrics = read_metrics(dir / "metrics.jsonl");
  ASSERT_EQ(metrics.size(), 1u);
  for (const char* key : {"epoch", "train_loss", "train_acc", "val_acc", "test_acc", "lr", "seconds", "images_per_sec"})
    EXPECT_TRUE(metrics[0].contains(key)) << key << " missing in " << metrics[0].dump();
  EXPECT_EQ(metrics[0]["epoch"], 1);
  EXPECT_DOUBLE_EQ(metrics[0]["lr"].get<double>(), 0.05);

  // Resume with only --out, --resume and a larger epoch count: epoch 2 is appended.
  Outcome second = run(nf::tools::cmd_train, "train", {"--out", dir.string(), "--resume", "--epochs", "2"});
  ASSERT_EQ(second.rc, 0) << second.error;
  EXPECT_NE(second.out.find("resuming"), std::string::npos) << second.out;
  EXPECT_EQ(second.out.find("epoch 1/2"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("epoch 2/2"), std::string::npos) << second.out;
  metrics = read_metrics(dir / "metrics.jsonl");
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(metrics[1]["epoch"], 2);
  // Cosine over 2 epochs: epoch 2 runs at lr 0.05 * (1 + cos(pi / 2)) / 2.
  EXPECT_NEAR(metrics[1]["lr"].get<double>(), 0.025, 1e-12);
  // The synthetic classes are well separated: two epochs learn them.
  EXPECT_GE(metrics[1]["test_acc"].get<double>(), 0.8);

  // eval rebuilds the model from config.json and reproduces the last test accuracy.
  Outcome eval = run(nf::tools::cmd_eval, "eval", {"--checkpoint", dir.string()});
  ASSERT_EQ(eval.rc, 0) << eval.error;
  char expected[64];
  std::snprintf(expected, sizeof expected, "test accuracy %.2f%%", 100.0 * metrics[1]["test_acc"].get<double>());
  EXPECT_NE(eval.out.find(expected), std::string::npos) << eval.out << " (expected " << expected << ")";
  EXPECT_NE(eval.out.find("after 2 epochs"), std::string::npos) << eval.out;

  // The run is complete: resuming again trains nothing and re-reports the accuracy.
  Outcome again = run(nf::tools::cmd_train, "train", {"--out", dir.string(), "--resume"});
  ASSERT_EQ(again.rc, 0) << again.error;
  EXPECT_NE(again.out.find("already trained"), std::string::npos) << again.out;
  EXPECT_EQ(read_metrics(dir / "metrics.jsonl").size(), 2u);
}

TEST_F(CliTrain, ResumeRefusesDifferentSettingsAndFreshRunRefusesExistingRun) {
  auto args = base_args();
  args.insert(args.end(), {"--epochs", "1", "--limit", "64", "--lr", "0.05"});
  ASSERT_EQ(run(nf::tools::cmd_train, "train", args).rc, 0);
  const std::string dir = (runs.path / "mlp").string();

  Outcome changed = run(nf::tools::cmd_train, "train", {"--out", dir, "--resume", "--lr", "0.1"});
  EXPECT_NE(changed.error.find("--resume: --lr 0.1 differs from 0.05"), std::string::npos) << changed.error;
  Outcome model = run(nf::tools::cmd_train, "train", {"--out", dir, "--resume", "--model", "cnn"});
  EXPECT_NE(model.error.find("--model \"cnn\" differs"), std::string::npos) << model.error;

  Outcome fresh = run(nf::tools::cmd_train, "train", args);
  EXPECT_NE(fresh.error.find("already holds a run"), std::string::npos) << fresh.error;

  Outcome nothing = run(nf::tools::cmd_train, "train", {"--out", (runs.path / "none").string(), "--resume"});
  EXPECT_NE(nothing.error.find("no config.json"), std::string::npos) << nothing.error;
}

TEST_F(CliTrain, CnnAndResnetTrainOneEpoch) {
  for (const char* model : {"cnn", "resnet"}) {
    auto args = base_args(model);
    args.insert(args.end(), {"--epochs", "1", "--limit", "96", "--optimizer", "adam", "--lr", "0.001"});
    Outcome r = run(nf::tools::cmd_train, "train", args);
    ASSERT_EQ(r.rc, 0) << model << ": " << r.error;
    EXPECT_EQ(read_metrics(runs.path / model / "metrics.jsonl").size(), 1u) << model;
    Outcome eval = run(nf::tools::cmd_eval, "eval",
                   {"--checkpoint", (runs.path / model / "checkpoint.safetensors").string(), "--batch-size", "7"});
    ASSERT_EQ(eval.rc, 0) << model << ": " << eval.error;
    EXPECT_NE(eval.out.find("test accuracy"), std::string::npos) << eval.out;
  }
}

TEST_F(CliTrain, BadFlagsAreErrorsNamingTheFlag) {
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"--data-dir", data.path.string(), "--out", (runs.path / "mlp").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(nf::tools::cmd_train, "train", args).error;
  };
  EXPECT_NE(with({"--bogus", "1"}).find("unknown flag --bogus"), std::string::npos);
  EXPECT_NE(with({"--model", "vgg"}).find("--model must be mlp, cnn or resnet, got 'vgg'"), std::string::npos);
  EXPECT_NE(with({"--optimizer", "rmsprop"}).find("--optimizer must be sgd or adam"), std::string::npos);
  EXPECT_NE(with({"--epochs", "0"}).find("--epochs must be in [1, "), std::string::npos);
  EXPECT_NE(with({"--data", "mnist"}).find("--data must be fashion-mnist, cifar10 or folder:PATH"), std::string::npos);
  EXPECT_NE(run(nf::tools::cmd_train, "train", {"--epochs", "1"}).error.find("--out DIR is required"),
            std::string::npos);
  EXPECT_NE(run(nf::tools::cmd_eval, "eval", {"--checkpoint", (runs.path / "nope").string()})
                .error.find("no checkpoint at"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(runs.path / "mlp")) << "a rejected command must not create its run directory";
}

TEST_F(CliTrain, MissingDataNamesTheDirectoryAndTheFix) {
  const std::string missing = (data.path / "absent").string();
  Outcome r = run(nf::tools::cmd_train, "train", {"--data-dir", missing, "--out", (runs.path / "x").string()});
  EXPECT_EQ(r.error, "nasforge train: Fashion-MNIST not found in " + missing +
                         " (install the Debian package dataset-fashion-mnist, or pass --data-dir DIR)");
  Outcome cifar = run(nf::tools::cmd_train, "train", {"--data", "cifar10", "--out", (runs.path / "x").string()});
  EXPECT_NE(cifar.error.find("--data cifar10 needs --data-dir DIR"), std::string::npos) << cifar.error;
  Outcome folder = run(nf::tools::cmd_train, "train", {"--data", "folder:" + missing, "--out", (runs.path / "x").string()});
  EXPECT_NE(folder.error.find("needs PATH/train and PATH/test"), std::string::npos) << folder.error;
}

// A learning rate of 100 makes the loss non-finite within a few steps (epoch 2
// batch 3 with this seed); the error names where, and the last completed
// epoch's checkpoint and metrics stay as they were.
TEST_F(CliTrain, DivergingLossStopsNamingEpochAndBatch) {
  const fs::path dir = runs.path / "wild";
  Outcome r = run(nf::tools::cmd_train, "train",
                  {"--model", "mlp", "--data-dir", data.path.string(), "--epochs", "3", "--limit", "128",
                   "--batch-size", "32", "--lr", "100", "--weight-decay", "0", "--out", dir.string()});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.error, m, std::regex("^nasforge train: loss became -?(nan|inf) at epoch (\\d) batch \\d/4; ")))
      << r.error;
  const int epoch = std::stoi(m[2]);
  EXPECT_EQ(read_metrics(dir / "metrics.jsonl").size(), size_t(epoch - 1));
  if (epoch == 1) {
    EXPECT_NE(r.error.find("no checkpoint was written"), std::string::npos) << r.error;
    EXPECT_FALSE(fs::exists(dir / "checkpoint.safetensors"));
  } else {
    EXPECT_NE(r.error.find("the checkpoint of epoch " + std::to_string(epoch - 1) + " is kept in " + dir.string()),
              std::string::npos)
        << r.error;
    EXPECT_TRUE(fs::exists(dir / "checkpoint.safetensors"));
  }
}

TEST(CliTrainHelp, ListsTheFlags) {
  for (auto cmd : {nf::tools::cmd_train, nf::tools::cmd_eval}) {
    Outcome r = run(cmd, "x", {"--help"});
    EXPECT_EQ(r.rc, 0);
    EXPECT_NE(r.out.find("usage: nasforge"), std::string::npos);
    EXPECT_NE(r.out.find("--data-dir"), std::string::npos);
  }
  Outcome train = run(nf::tools::cmd_train, "train", {"--help"});
  for (const char* flag : {"--model", "--epochs", "--batch-size", "--lr", "--optimizer", "--weight-decay", "--seed",
                           "--out", "--resume", "--limit", "--val-fraction", "--cutout", "--auxiliary-weight"})
    EXPECT_NE(train.out.find(flag), std::string::npos) << flag;
}

// The real data set: an MLP on 5000 training images for one epoch (about 80%
// seen, 2 s of CPU).
TEST(CliTrainFashionMnist, MlpReaches75PercentOnASubsetInOneEpoch) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(dir + "/train-images-idx3-ubyte.gz") && !fs::exists(dir + "/train-images-idx3-ubyte"))
    GTEST_SKIP() << "Fashion-MNIST is not installed in " << dir << " (Debian package dataset-fashion-mnist)";
  TempDir runs;
  Outcome r = run(nf::tools::cmd_train, "train",
              {"--model", "mlp", "--data", "fashion-mnist", "--data-dir", dir, "--epochs", "1", "--limit", "5000",
               "--batch-size", "32", "--optimizer", "adam", "--lr", "0.001", "--out", (runs.path / "fm").string()});
  ASSERT_EQ(r.rc, 0) << r.error;
  std::printf("%s", r.out.c_str());
  auto metrics = read_metrics(runs.path / "fm" / "metrics.jsonl");
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_GE(metrics[0]["test_acc"].get<double>(), 0.75) << r.out;
}

// DARTS's retraining options on a searched cell: the auxiliary head and cutout are
// recorded in config.json, the head's loss is logged, eval rebuilds the same network
// (the head's weights load, and are ignored), and a resume keeps both.
TEST_F(CliTrain, DartsGenotypeWithAuxiliaryHeadAndCutout) {
  const std::string genotype =
      write_architecture(runs.path / "best.json", nf::nas::parse_darts_genotype(kDartsV2), "darts");
  const fs::path dir = runs.path / "aux";
  Outcome r = run(nf::tools::cmd_train, "train",
                  {"--genotype", genotype, "--data-dir", data.path.string(), "--epochs", "1", "--limit", "64",
                   "--batch-size", "16", "--lr", "0.05", "--cutout", "4", "--auxiliary-weight", "0.4", "--out",
                   dir.string()});
  ASSERT_EQ(r.rc, 0) << r.error;
  EXPECT_NE(r.out.find("of them in the auxiliary head"), std::string::npos) << r.out;
  const json config = read_json(dir / "config.json");
  EXPECT_EQ(config["cutout"], 4);
  EXPECT_EQ(config["auxiliary-weight"], 0.4);
  EXPECT_EQ(config["architecture"]["network"]["auxiliary"], true);
  auto metrics = read_metrics(dir / "metrics.jsonl");
  ASSERT_EQ(metrics.size(), 1u);
  ASSERT_TRUE(metrics[0].contains("train_aux_loss")) << metrics[0].dump();
  EXPECT_GT(metrics[0]["train_aux_loss"].get<double>(), 0);

  Outcome eval = run(nf::tools::cmd_eval, "eval", {"--checkpoint", dir.string()});
  ASSERT_EQ(eval.rc, 0) << eval.error;
  char expected[64];
  std::snprintf(expected, sizeof expected, "test accuracy %.2f%%", 100.0 * metrics[0]["test_acc"].get<double>());
  EXPECT_NE(eval.out.find(expected), std::string::npos) << eval.out << " (expected " << expected << ")";

  Outcome changed = run(nf::tools::cmd_train, "train", {"--out", dir.string(), "--resume", "--auxiliary-weight", "0.2"});
  EXPECT_NE(changed.error.find("--resume: --auxiliary-weight 0.2 differs from 0.4"), std::string::npos) << changed.error;
  Outcome more = run(nf::tools::cmd_train, "train", {"--out", dir.string(), "--resume", "--epochs", "2"});
  ASSERT_EQ(more.rc, 0) << more.error;
  metrics = read_metrics(dir / "metrics.jsonl");
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_TRUE(metrics[1].contains("train_aux_loss"));
  EXPECT_EQ(read_json(dir / "config.json")["cutout"], 4);

  // Without the flags the network has no head and the config says so.
  const fs::path plain = runs.path / "plain";
  ASSERT_EQ(run(nf::tools::cmd_train, "train",
                {"--genotype", genotype, "--data-dir", data.path.string(), "--epochs", "1", "--limit", "32",
                 "--batch-size", "16", "--out", plain.string()})
                .rc,
            0);
  const json plain_config = read_json(plain / "config.json");
  EXPECT_EQ(plain_config["cutout"], 0);
  EXPECT_EQ(plain_config["auxiliary-weight"], 0.0);
  EXPECT_FALSE(plain_config["architecture"]["network"].contains("auxiliary"));
  EXPECT_FALSE(read_metrics(plain / "metrics.jsonl")[0].contains("train_aux_loss"));
}

TEST_F(CliTrain, BadCutoutAndAuxiliaryValuesAreRejected) {
  const std::string darts =
      write_architecture(runs.path / "darts.json", nf::nas::parse_darts_genotype(kDartsV2), "darts");
  const std::string nb201 = write_architecture(
      runs.path / "nb201.json",
      nf::nas::parse_nb201_genotype("|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|"),
      "nb201");
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"--data-dir", data.path.string(), "--epochs", "1", "--limit", "32",
                                     "--out", (runs.path / "bad").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(nf::tools::cmd_train, "train", args).error;
  };
  std::string e = with({"--cutout", "-1"});
  EXPECT_NE(e.find("--cutout must be in [0, "), std::string::npos) << e;
  e = with({"--cutout", "9"});  // the synthetic images are 8x8
  EXPECT_NE(e.find("--cutout 9 is larger than the 8x8 images"), std::string::npos) << e;
  e = with({"--auxiliary-weight", "-0.5", "--genotype", darts});
  EXPECT_NE(e.find("--auxiliary-weight must be in [0, "), std::string::npos) << e;
  e = with({"--auxiliary-weight", "0.4", "--model", "mlp"});
  EXPECT_NE(e.find("--auxiliary-weight needs --genotype of the darts space (the auxiliary head is DARTS's), got --model mlp"),
            std::string::npos)
      << e;
  e = with({"--auxiliary-weight", "0.4", "--genotype", nb201});
  EXPECT_NE(e.find("--auxiliary-weight needs --genotype of the darts space (the auxiliary head is DARTS's), got a nb201 genotype"),
            std::string::npos)
      << e;
  EXPECT_FALSE(fs::exists(runs.path / "bad" / "checkpoint.safetensors"));
}

// --cutout N ends the training transform with a cutout of the normalised images;
// evaluation and --cutout 0 never cut.
TEST(CliTrainTransform, CutoutZeroesOneSquarePerTrainingImage) {
  const nf::Tensor x = nf::full({6, 1, 8, 8}, 0.9);  // normalised: (0.9 - 0.286) / 0.353 != 0
  nf::Generator gen(2);
  auto zeros_per_image = [](const nf::Tensor& t) {
    std::vector<int> n(size_t(t.size(0)), 0);
    const std::vector<float> v = t.contiguous().to_vector<float>();
    for (size_t i = 0; i < v.size(); ++i) n[i / 64] += v[i] == 0.0f;
    return n;
  };
  for (int n : zeros_per_image(nf::tools::train_transform("fashion-mnist", 4)(x, gen))) {
    EXPECT_GE(n, 4);   // a 4x4 square centred in a corner keeps 2x2 inside the image
    EXPECT_LE(n, 16);
  }
  for (int n : zeros_per_image(nf::tools::train_transform("fashion-mnist", 0)(x, gen))) EXPECT_EQ(n, 0);
  for (int n : zeros_per_image(nf::tools::eval_transform("fashion-mnist")(x, gen))) EXPECT_EQ(n, 0);
}
