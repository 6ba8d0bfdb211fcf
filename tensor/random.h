// Seeded counter-based random numbers (Philox-4x32-10, Salmon et al. 2011).
// A Generator is (seed, offset): drawing n numbers uses counters offset..offset+n-1
// and advances the offset by n, so a given seed yields the same numbers on any
// device and any number of threads, and the state saves as two integers.
#pragma once
#include <array>
#include <cstdint>

namespace nf {

// One Philox-4x32-10 block: four 32-bit outputs for a 128-bit counter and 64-bit key.
std::array<uint32_t, 4> philox4x32(uint64_t counter_lo, uint64_t counter_hi, uint64_t key);

// Element i of a draw: uniform in [0, 1) from counter (offset + i), as float64.
double philox_uniform(uint64_t seed, uint64_t counter);
// Element i of a draw: standard normal from counter (offset + i) (Box-Muller
// on the counter's two 64-bit uniforms).
double philox_normal(uint64_t seed, uint64_t counter);

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) { seed_ = seed, offset_ = offset; }
  // Reserves n counters and returns the first.
  uint64_t advance(uint64_t n) {
    uint64_t first = offset_;
    offset_ += n;
    return first;
  }
  // Scalar draws on the host (each uses one counter).
  double uniform() { return philox_uniform(seed_, advance(1)); }
  double normal() { return philox_normal(seed_, advance(1)); }
  int64_t randint(int64_t n);  // uniform in [0, n)

 private:
  uint64_t seed_ = 0;
  uint64_t offset_ = 0;
};

// The process-wide default generator used by the factories (not thread-safe:
// seed it and draw from one thread, as with torch.manual_seed).
Generator& default_generator();
void manual_seed(uint64_t seed);

}  // namespace nf
