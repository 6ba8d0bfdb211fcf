// Checkpoints: safetensors layout, bitwise round trip of parameters, buffers
// and optimizer state, every malformed-file case with its message, name,
// shape and dtype mismatches against the module, and atomic replacement.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "autograd/functions.h"
#include "nn/nn.h"
#include "test_nn_util.h"

using namespace nf;
using namespace nf::nn_test;
namespace fs = std::filesystem;

namespace {

class Checkpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nf_nn_ckpt_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Writes a file from a header text and data bytes; `declared` overrides the length field.
  std::string write_raw(const std::string& name, const std::string& header, const std::string& data,
                        int64_t declared = -1) {
    std::string p = path(name);
    std::ofstream out(p, std::ios::binary);
    uint64_t n = declared >= 0 ? uint64_t(declared) : header.size();
    out.write(reinterpret_cast<const char*>(&n), 8);
    out << header << data;
    return p;
  }

  // The message of loading `p` as safetensors.
  std::string load_error(const std::string& p) {
    return error_of([&] { nn::load_safetensors(p); });
  }

  fs::path dir_;
};

std::shared_ptr<nn::SequentialImpl> small_net() {
  return nn::Sequential(nn::Conv2d(1, 4, 3, {.padding = 1}), nn::BatchNorm2d(4), nn::ReLU(), nn::GlobalAvgPool(),
                        nn::Linear(4, 3));
}

// Trains one step so parameters, running statistics and optimizer state are all non-trivial.
void train_step(nn::Module& net, optim::Optimizer& opt) {
  opt.zero_grad();
  Tensor x = randn({4, 1, 5, 5});
  nn::cross_entropy(net.forward(x), from_vector(std::vector<int64_t>{0, 1, 2, 1}, {4})).backward();
  opt.step();
}

std::vector<char> bytes_of(const Tensor& t) {
  Tensor c = raw::contiguous(t);
  const char* p = static_cast<const char*>(c.raw_data());
  return {p, p + c.numel() * dtype_size(c.dtype())};
}

void expect_bitwise_equal(const nn::NamedTensors& a, const nn::NamedTensors& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_EQ(a[i].second.dtype(), b[i].second.dtype()) << a[i].first;
    EXPECT_EQ(a[i].second.shape(), b[i].second.shape()) << a[i].first;
    EXPECT_EQ(bytes_of(a[i].second), bytes_of(b[i].second)) << a[i].first;
  }
}

}  // namespace

TEST_F(Checkpoint, FileFollowsTheSafetensorsLayout) {
  Tensor f = from_vector(std::vector<float>{1.5f, -2.0f}, {2});
  Tensor i = from_vector(std::vector<int64_t>{7, -1, 3}, {3, 1});
  std::string p = path("plain.safetensors");
  nn::save_safetensors(p, {{"f", f}, {"i", i}}, {{"note", "hi"}});
  std::ifstream in(p, std::ios::binary);
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);
  EXPECT_EQ(n % 8, 0u);  // data 8-byte aligned
  ASSERT_EQ(file.size(), 8 + n + 8 + 24);
  auto header = nlohmann::json::parse(file.substr(8, n));
  EXPECT_EQ(header["__metadata__"]["note"], "hi");
  EXPECT_EQ(header["f"]["dtype"], "F32");
  EXPECT_EQ(header["f"]["shape"], nlohmann::json::array({2}));
  EXPECT_EQ(header["f"]["data_offsets"], nlohmann::json::array({0, 8}));
  EXPECT_EQ(header["i"]["dtype"], "I64");
  EXPECT_EQ(header["i"]["shape"], nlohmann::json::array({3, 1}));
  EXPECT_EQ(header["i"]["data_offsets"], nlohmann::json::array({8, 32}));
  float v = 0;
  std::memcpy(&v, file.data() + 8 + n + 4, 4);
  EXPECT_EQ(v, -2.0f);

  // A file written by hand (as another implementation would) loads back.
  std::string data(17, '\0');
  double d = 0.25;
  std::memcpy(&data[1], &d, 8);
  data[9] = 1;
  data[0] = 42;
  std::string hand = write_raw("hand.safetensors",
                               R"({"b":{"dtype":"BOOL","shape":[2],"data_offsets":[9,11]},)"
                               R"("u":{"dtype":"U8","shape":[],"data_offsets":[0,1]},)"
                               R"("d":{"dtype":"F64","shape":[1],"data_offsets":[1,9]}})",
                               data);
  nn::SafeTensors st = nn::load_safetensors(hand);
  ASSERT_EQ(st.tensors.size(), 3u);
  EXPECT_EQ(st.tensors[0].first, "u");  // data order
  EXPECT_EQ(st.tensors[0].second.item(), 42);
  EXPECT_EQ(st.tensors[1].second.item(), 0.25);
  EXPECT_EQ(st.tensors[2].second.dtype(), DType::boolean);
  expect_values(st.tensors[2].second, {1, 0}, 0);
  EXPECT_TRUE(st.metadata.empty());
}

TEST_F(Checkpoint, RoundTripIsBitwiseForModelAndAdamState) {
  manual_seed(1);
  auto net = small_net();
  optim::Adam opt(net->parameters(), {.lr = 0.01});
  train_step(*net, opt);
  train_step(*net, opt);
  std::string p = path("model.safetensors");
  nn::save_state(p, *net, &opt, {{"epoch", "3"}});
  EXPECT_FALSE(fs::exists(p + ".tmp"));

  manual_seed(2);  // different initial weights
  auto other = small_net();
  optim::Adam other_opt(other->parameters(), {.lr = 0.5});
  auto meta = nn::load_state(p, *other, &other_opt);
  EXPECT_EQ(meta, (std::map<std::string, std::string>{{"epoch", "3"}}));
  expect_bitwise_equal(other->named_state(), net->named_state());
  expect_bitwise_equal(other_opt.state_tensors(), opt.state_tensors());
  EXPECT_EQ(other_opt.step_count(), 2);
  EXPECT_EQ(other_opt.lr(), 0.01);

  // Training continues identically.
  manual_seed(9);
  train_step(*net, opt);
  manual_seed(9);
  train_step(*other, other_opt);
  expect_bitwise_equal(other->named_state(), net->named_state());
}

TEST_F(Checkpoint, SgdMomentumStateAndLoadingWeightsOnly) {
  auto net = small_net();
  optim::SGD opt(net->parameters(), {.lr = 0.1, .momentum = 0.9});
  train_step(*net, opt);
  std::string p = path("sgd.safetensors");
  nn::save_state(p, *net, &opt);
  nn::SafeTensors st = nn::load_safetensors(p);
  EXPECT_EQ(st.metadata.at("optim.type"), "SGD");
  EXPECT_EQ(st.metadata.at("optim.step"), "1");
  bool found = false;
  for (const auto& [name, t] : st.tensors) found |= name == "optim.0.momentum_buffer";
  EXPECT_TRUE(found);

  auto weights_only = small_net();
  nn::load_state(p, *weights_only);  // optimizer entries are ignored
  expect_bitwise_equal(weights_only->named_state(), net->named_state());

  // An optimizer asked for but absent from the file is reported as missing.
  std::string q = path("no_optim.safetensors");
  nn::save_state(q, *net);
  optim::SGD fresh(weights_only->parameters(), {.lr = 0.1, .momentum = 0.9});
  std::string err = error_of([&] { nn::load_state(q, *weights_only, &fresh); });
  EXPECT_NE(err.find("load_state '" + q + "': the checkpoint does not match the Sequential; missing entries: "
                     "'optim.0.momentum_buffer', 'optim.1.momentum_buffer'"),
            std::string::npos)
      << err;
  // Mismatched optimizer types are refused.
  optim::Adam adam(weights_only->parameters());
  std::string e2 = error_of([&] { nn::load_state(p, *weights_only, &adam); });
  EXPECT_NE(e2.find("unexpected entries: 'optim.0.momentum_buffer'"), std::string::npos) << e2;
  EXPECT_EQ(error_of([&] { nn::save_state(q, *net, nullptr, {{"optim.x", "1"}}); }),
            "save_state '" + q + "': metadata key 'optim.x' is reserved (keys starting with 'optim.' hold the "
            "optimizer state)");
}

TEST_F(Checkpoint, MissingAndUnexpectedNamesAreListed) {
  auto lin = nn::Linear(3, 2);
  std::string p = path("linear.safetensors");
  nn::save_state(p, *lin);
  auto seq = nn::Sequential(nn::Linear(3, 2));
  EXPECT_EQ(error_of([&] { nn::load_state(p, *seq); }),
            "load_state '" + p + "': the checkpoint does not match the Sequential; missing entries: '0.weight', "
            "'0.bias'; unexpected entries: 'bias', 'weight'");
}

TEST_F(Checkpoint, ShapeAndDtypeMismatchesNameTheEntryAndLeaveTheModuleUntouched) {
  auto lin = nn::Linear(3, 2);
  std::string p = path("linear.safetensors");
  nn::save_state(p, *lin);
  auto wider = nn::Linear(4, 2);
  std::vector<double> bias_before = wider->bias.to_vector<double>();
  EXPECT_EQ(error_of([&] { nn::load_state(p, *wider); }),
            "load_state '" + p + "': entry 'weight' is f32 [2,3] in the file but f32 [2,4] in the module");
  expect_values(wider->bias, bias_before, 0);  // 'bias' matched but was not copied

  std::string q = path("f64.safetensors");
  nn::save_safetensors(q, {{"weight", zeros({2, 3}, {DType::f64})}, {"bias", zeros({2})}});
  EXPECT_EQ(error_of([&] { nn::load_state(q, *lin); }),
            "load_state '" + q + "': entry 'weight' is f64 [2,3] in the file but f32 [2,3] in the module");
}

TEST_F(Checkpoint, MalformedFilesAreRejectedWithTheirReason) {
  const std::string pre = "safetensors '";
  const std::string ok_entry = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string eight(8, '\0');

  std::string p = path("short.safetensors");
  std::ofstream(p, std::ios::binary) << "abcde";
  EXPECT_EQ(load_error(p), pre + p + "': file is 5 bytes, too short for the 8-byte header length (truncated?)");

  p = write_raw("bad_len.safetensors", ok_entry, eight, 1'000'000'000'000);
  EXPECT_EQ(load_error(p), pre + p + "': header length 1000000000000 exceeds the " +
                               std::to_string(ok_entry.size() + 8) +
                               " bytes that follow it (truncated or not a safetensors file)");

  p = write_raw("json.safetensors", R"({"w": {"dtype": )", "");
  EXPECT_NE(load_error(p).find(pre + p + "': header is not valid JSON: "), std::string::npos) << load_error(p);

  p = write_raw("array.safetensors", "[1, 2]", "");
  EXPECT_EQ(load_error(p), pre + p + "': header is not a JSON object");

  p = write_raw("truncated_data.safetensors", ok_entry, "1234");
  EXPECT_EQ(load_error(p),
            pre + p + "': entry 'w': data_offsets [0,8] lie outside the data section of 4 bytes (truncated?)");

  p = write_raw("size.safetensors", R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight);
  EXPECT_EQ(load_error(p), pre + p + "': entry 'w': data_offsets [0,8] hold 8 bytes but shape [3] of F32 needs 12");

  p = write_raw("dtype.safetensors", R"({"w":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}})", eight);
  EXPECT_EQ(load_error(p),
            pre + p + "': entry 'w': unsupported dtype 'F16' (supported: F32, F64, I64, U8, BOOL)");

  p = write_raw("negative.safetensors", R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight);
  EXPECT_EQ(load_error(p), pre + p + "': entry 'w': shape has a negative value -2");

  p = write_raw("reversed.safetensors", R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}})", eight);
  EXPECT_EQ(load_error(p), pre + p + "': entry 'w': data_offsets [8,0] end before they begin");

  p = write_raw("fields.safetensors", R"({"w":{"dtype":"F32","shape":[2]}})", eight);
  EXPECT_EQ(load_error(p), pre + p + "': entry 'w': missing field 'data_offsets'");

  p = write_raw("overlap.safetensors",
                R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                std::string(12, '\0'));
  EXPECT_EQ(load_error(p), pre + p + "': entries 'a' [0,8] and 'b' [4,12] overlap");

  p = write_raw("dup.safetensors",
                R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                "xy");
  EXPECT_EQ(load_error(p), pre + p + "': header names 'a' twice");

  p = write_raw("bool.safetensors", R"({"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})",
                std::string("\x01\x02", 2));
  EXPECT_EQ(load_error(p), pre + p + "': entry 'm': BOOL element 1 holds byte 2, not 0 or 1");

  p = write_raw("meta.safetensors", R"({"__metadata__":{"epoch":3}})", "");
  EXPECT_EQ(load_error(p), pre + p + "': __metadata__ value of 'epoch' is not a string");

  p = path("absent.safetensors");
  EXPECT_EQ(load_error(p), pre + p + "': cannot open the file for reading");

  // A real checkpoint cut short anywhere is rejected, never read past its end.
  auto net = small_net();
  std::string full = path("full.safetensors");
  nn::save_state(full, *net);
  const auto size = fs::file_size(full);
  for (uintmax_t cut : {uintmax_t(3), uintmax_t(20), size / 2, size - 1}) {
    fs::copy_file(full, path("cut.safetensors"), fs::copy_options::overwrite_existing);
    fs::resize_file(path("cut.safetensors"), cut);
    EXPECT_NE(error_of([&] { nn::load_state(path("cut.safetensors"), *net); }), "<no error>") << "cut at " << cut;
  }
  // load_state passes the format errors through.
  EXPECT_EQ(error_of([&] { nn::load_state(path("short.safetensors"), *net); }),
            pre + path("short.safetensors") + "': file is 5 bytes, too short for the 8-byte header length (truncated?)");
}

// Seen while writing fuzz/fuzz_safetensors: a shape with a zero holds no element, so its
// byte count (0) checked out, but the strides of the other dims overflowed int64.
TEST_F(Checkpoint, EmptyShapeWhoseStridesOverflowIsRejected) {
  std::string p = write_raw("empty_huge.safetensors",
                            R"({"e":{"dtype":"U8","shape":[0,4611686018427387904,4],"data_offsets":[0,0]}})", "");
  EXPECT_EQ(load_error(p), "safetensors '" + p + "': entry 'e': shape [0,4611686018427387904,4] overflows");
  // Zeros with sizes whose product fits are fine.
  p = write_raw("empty_ok.safetensors", R"({"e":{"dtype":"F32","shape":[0,1024,1024],"data_offsets":[0,0]}})", "");
  nn::SafeTensors st = nn::load_safetensors(p);
  ASSERT_EQ(st.tensors.size(), 1u);
  EXPECT_EQ(st.tensors[0].second.shape(), (Shape{0, 1024, 1024}));
}

TEST_F(Checkpoint, CorruptedBytesGiveAnErrorOrAValidLoadNeverACrash) {
  auto net = small_net();
  std::string good = path("good.safetensors");
  nn::save_state(good, *net);
  std::ifstream in(good, std::ios::binary);
  const std::string original((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  uint64_t n = 0;
  std::memcpy(&n, original.data(), 8);
  Generator gen(17);
  int rejected = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string bytes = original;
    // Corrupt 1-3 bytes, mostly in the length field and the JSON header.
    for (int k = 0, flips = 1 + int(gen.randint(3)); k < flips; ++k) {
      const uint64_t at = uint64_t(gen.randint(int64_t(8 + n)));
      bytes[at] = char(gen.randint(256));
    }
    std::string p = path("fuzz.safetensors");
    std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
    try {
      nn::load_state(p, *net);
    } catch (const Error& e) {
      ++rejected;
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "trial " << trial << ": not an nf::Error: " << e.what();
    }
  }
  EXPECT_GT(rejected, 100);
}

TEST_F(Checkpoint, FailedWriteLeavesTheOldFileIntact) {
  auto net = small_net();
  std::string p = path("model.safetensors");
  nn::save_state(p, *net);
  std::vector<char> before = bytes_of(net->named_parameters()[0].second);

  auto changed = small_net();
  // The temporary cannot be created (a directory is in the way): the save fails...
  fs::create_directory(p + ".tmp");
  std::string err = error_of([&] { nn::save_state(p, *changed); });
  EXPECT_EQ(err.rfind("write '" + p + "': cannot create the temporary file '" + p + ".tmp': ", 0), 0u) << err;
  // ...and the old checkpoint still loads with the old values.
  auto loaded = small_net();
  nn::load_state(p, *loaded);
  EXPECT_EQ(bytes_of(loaded->named_parameters()[0].second), before);
  fs::remove(p + ".tmp");

  // A path whose parent does not exist fails cleanly and creates nothing.
  std::string nowhere = path("missing_dir/model.safetensors");
  err = error_of([&] { nn::save_state(nowhere, *net); });
  EXPECT_EQ(err.rfind("write '" + nowhere + "': cannot create the temporary file", 0), 0u) << err;
  EXPECT_FALSE(fs::exists(path("missing_dir")));

  // write_file_atomic replaces contents whole.
  nn::write_file_atomic(path("note.txt"), "first");
  nn::write_file_atomic(path("note.txt"), "second");
  std::ifstream in(path("note.txt"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "second");
  EXPECT_FALSE(fs::exists(path("note.txt.tmp")));
}

// Disk full: a child process saves under RLIMIT_FSIZE (SIGXFSZ ignored, so a
// write past the limit fails with EFBIG instead of killing it). The error
// names the file and errno's text, no temporary is left behind, and the old
// checkpoint still loads with its old values.
TEST_F(Checkpoint, DiskFullOnSaveNamesTheFileAndKeepsTheOldCheckpoint) {
  auto net = small_net();
  const std::string p = path("full.safetensors");
  nn::save_state(p, *net);
  const std::vector<char> before = bytes_of(net->named_parameters()[0].second);
  const auto old_size = fs::file_size(p);
  ASSERT_GT(old_size, 64u);

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{old_size / 2, old_size / 2};
    std::string message = "no error";
    int code = 1;
    if (::setrlimit(RLIMIT_FSIZE, &limit) == 0) {
      auto changed = small_net();
      try {
        nn::save_state(p, *changed);
      } catch (const std::exception& e) {
        message = e.what();
        code = 0;
      }
    }
    [[maybe_unused]] auto n = ::write(fds[1], message.data(), message.size());
    ::_exit(code);
  }
  ::close(fds[1]);
  std::string message;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) message.append(buf, size_t(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << message;
  EXPECT_EQ(message.rfind("write '" + p + "': ", 0), 0u) << message;
  EXPECT_NE(message.find(std::strerror(EFBIG)), std::string::npos) << message;
  EXPECT_NE(message.find("previous file"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(p + ".tmp"));
  EXPECT_EQ(fs::file_size(p), old_size);
  auto loaded = small_net();
  nn::load_state(p, *loaded);
  EXPECT_EQ(bytes_of(loaded->named_parameters()[0].second), before);
}
