#include "data/jpeg_guard.h"

namespace nf::data {

namespace {

size_t be16(const unsigned char* p) { return size_t(p[0]) << 8 | p[1]; }

// The Huffman tables of the DHT segment whose length field is at `at`, read as
// stb reads them: table after table while its length counter stays positive,
// even past what the length field claims and past the end of the data (where
// stb reads zeros); stb fails such a file only after building the tables.
std::optional<std::string> check_dht(const unsigned char* b, size_t size, size_t at) {
  auto byte = [&](size_t i) { return i < size ? b[i] : 0; };
  long remaining = long(be16(b + at)) - 2;
  size_t p = at + 2;
  while (remaining > 0) {
    size_t codes = 0;
    for (size_t i = 1; i <= 16; ++i) codes += byte(p + i);
    if (codes > 256)
      return "corrupt JPEG (Huffman table with " + std::to_string(codes) +
             " codes, at most 256, in the DHT segment at byte " + std::to_string(at - 2) + ")";
    p += 17 + codes;
    remaining -= long(17 + codes);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> jpeg_stb_hazard(const unsigned char* b, size_t size) {
  // stb's signature test (stbi__jpeg_test) reads the first marker as it reads
  // every marker: one FF, any number of FF fill bytes, then the code, which
  // must be SOI (D8). So FF FF FF D8 is a JPEG to stb, and so it is here.
  size_t pos = 0;
  while (pos < size && b[pos] == 0xFF) ++pos;
  if (pos == 0 || pos == size || b[pos] != 0xD8) return std::nullopt;
  ++pos;
  // Marker walk: FF xx starts a marker; bytes in between (entropy-coded data,
  // junk) are skipped as stb skips them.
  while (pos + 1 < size) {
    if (b[pos] != 0xFF) {
      ++pos;
      continue;
    }
    const unsigned char m = b[pos + 1];
    if (m == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD8)) {  // stuffing, TEM, RSTn, SOI: no length
      pos += 2;
      continue;
    }
    if (m == 0xD9) break;  // EOI
    if (pos + 4 > size) break;
    if (m == 0xC4)
      if (auto problem = check_dht(b, size, pos + 2)) return problem;
    pos += 2 + be16(b + pos + 2);
  }
  return std::nullopt;
}

}  // namespace nf::data
