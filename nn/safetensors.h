// The safetensors format (https://github.com/huggingface/safetensors), so
// weights open in the Python ecosystem too:
//   8 bytes      N, the header length (unsigned little-endian)
//   N bytes      JSON {"<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]},
//                      ..., "__metadata__": {"<key>": "<string>"}}  (space-padded to 8 bytes)
//   the rest     raw little-endian tensor data; offsets are relative to its start
// dtypes: F32, F64, I64, U8, BOOL (one byte, 0 or 1).
//
// load_safetensors validates everything before trusting it and never reads
// out of bounds: file size, header length, JSON syntax, duplicate names,
// dtypes, shapes, offsets inside the data section and consistent with
// shape x dtype size, no two entries overlapping. Every error names the file
// and, where one is involved, the entry.
#pragma once
#include <cstddef>
#include <map>
#include <string>

#include "nn/module.h"

namespace nf::nn {

struct SafeTensors {
  NamedTensors tensors;  // contiguous CPU tensors, in data order
  std::map<std::string, std::string> metadata;
};

// Writes atomically (nn/atomic_file.h); names must be unique and not "__metadata__".
void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});
SafeTensors load_safetensors(const std::string& path);
// The same from bytes in memory; `name` stands for the path in errors.
SafeTensors parse_safetensors(const void* bytes, size_t size, const std::string& name);

}  // namespace nf::nn
