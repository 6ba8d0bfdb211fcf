// libFuzzer target: CIFAR-10 / CIFAR-100 binary batches (data/cifar.cpp),
// read as each of the three kinds.
#include "data/cifar.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = nf::fuzz::write_file("input.bin", data, size);
  for (auto kind : {nf::data::CifarKind::cifar10, nf::data::CifarKind::cifar100_coarse,
                    nf::data::CifarKind::cifar100_fine}) {
    nf::fuzz::expect_errors([&] {
      auto ds = nf::data::read_cifar({path}, kind);
      // Accepted: whole records, every label below the class count.
      const int64_t record = (kind == nf::data::CifarKind::cifar10 ? 1 : 2) + 3 * 32 * 32;
      if (ds->size() < 1 || ds->size() * record != int64_t(size)) __builtin_trap();
    });
  }
  return 0;
}
