// Helpers shared by the strategies (nas/strategy*.cpp): strict option readers
// and the pieces of saved state (generator, uint64 counters, tensors).
// Failures throw nf::Error "<what>: <field>: <problem>" like nas/genotype_json.h.
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace nf::nas::detail {

// `options` must be an object whose keys are among `keys` and "budget" (which every
// strategy accepts: a positive integer); returns the budget, 0 when absent.
int64_t check_options(const nlohmann::json& options, std::string_view what,
                      std::initializer_list<std::string_view> keys);

// Option `key` of the object `options`, or `fallback` when absent. The value must
// satisfy `ok`; `expected` describes it for the message ("an integer >= 2").
int64_t option_int(const nlohmann::json& options, std::string_view what, std::string_view key, int64_t fallback,
                   const std::function<bool(int64_t)>& ok, std::string_view expected);
double option_number(const nlohmann::json& options, std::string_view what, std::string_view key, double fallback,
                     const std::function<bool(double)>& ok, std::string_view expected);

// A number (integer or floating), or an unsigned 64-bit integer.
double get_number(const nlohmann::json& j, std::string_view what, std::string_view path);
uint64_t get_uint64(const nlohmann::json& j, std::string_view what, std::string_view path);

nlohmann::json generator_to_json(const Generator& gen);  // {"seed", "offset"}
Generator generator_from_json(const nlohmann::json& j, std::string_view what, std::string_view path);

// {"dtype", "shape", "data": base64 of the little-endian bytes}; a contiguous copy
// is made on the host when needed.
nlohmann::json tensor_to_json(const Tensor& t);
// Checks dtype and shape against `dst` and returns the value as a new host tensor
// (so a caller can validate everything before copying anything).
Tensor tensor_from_json(const nlohmann::json& j, const Tensor& dst, std::string_view what, std::string_view path);

}  // namespace nf::nas::detail
