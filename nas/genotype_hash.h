// The stable 64-bit genotype hash: FNV-1a over a canonical text (the space name,
// a colon, then the genotype's notation). Byte-wise and fixed-constant, so a
// value is the same in every run and on every platform: trials can be deduped
// and cached by it across processes and machines.
#pragma once
#include <cstdint>
#include <string_view>

namespace nf::nas {

constexpr uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64-bit offset basis
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;  // FNV-1a 64-bit prime
  }
  return h;
}

}  // namespace nf::nas
