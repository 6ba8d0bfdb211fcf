// Derives independent generator seeds from a user seed and a stream id
// (epoch, batch, purpose), so e.g. epoch e's shuffle does not depend on how
// many numbers earlier epochs drew.
#pragma once
#include <cstdint>

namespace nf::data {

// The splitmix64 output function (Steele, Lea & Flood 2014): a bijective mixer.
inline uint64_t splitmix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline uint64_t mix_seed(uint64_t seed, uint64_t stream) {
  return splitmix64(splitmix64(seed) + stream);
}

}  // namespace nf::data
