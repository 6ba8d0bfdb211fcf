// The one translation unit that compiles stb_image (PNG, JPEG and BMP only).
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_FAILURE_USERMSG
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#ifdef __clang__
// Debian's stb 2.27 lets its JPEG bit counter go negative on a scan cut short
// by a marker (found by fuzz/fuzz_image); stbi__grow_buffer_unsafe then shifts
// by 24 - code_bits > 31. Only after the marker set nomore, so the shifted byte
// is 0 and the result too: formally UB, harmless, and not detectable before
// decoding. Upstream (2.28) stops at the bit count; this UBSan check is off
// for stb's functions only (the sanitizer build, tests/fuzzers, uses clang).
#pragma clang attribute push(__attribute__((no_sanitize("shift-exponent"))), apply_to = function)
#endif
#include <stb/stb_image.h>
#ifdef __clang__
#pragma clang attribute pop
#endif
#pragma GCC diagnostic pop
