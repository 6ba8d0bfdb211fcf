#include "nn/checkpoint.h"

#include <set>
#include <sstream>

#include "autograd/grad_mode.h"
#include "nn/safetensors.h"
#include "tensor/ops.h"

namespace nf::nn {

namespace {

const std::string kOptim = "optim.";

bool is_optim_key(const std::string& s) { return s.compare(0, kOptim.size(), kOptim) == 0; }

// Everything a checkpoint of (module, optimizer) holds, by name.
NamedTensors expected_state(const Module& module, const optim::Optimizer* opt) {
  NamedTensors all = module.named_state();
  if (opt)
    for (auto& [name, t] : opt->state_tensors()) all.emplace_back(kOptim + name, t);
  return all;
}

// "'a', 'b', 'c' and 4 more"
std::string name_list(const std::vector<std::string>& names) {
  constexpr size_t kShown = 8;
  std::ostringstream os;
  for (size_t i = 0; i < names.size() && i < kShown; ++i) os << (i ? ", '" : "'") << names[i] << "'";
  if (names.size() > kShown) os << " and " << names.size() - kShown << " more";
  return os.str();
}

}  // namespace

void save_state(const std::string& path, const Module& module, const optim::Optimizer* opt,
                const std::map<std::string, std::string>& metadata) {
  std::map<std::string, std::string> meta;
  for (const auto& [k, v] : metadata) {
    NF_CHECK(!is_optim_key(k), "save_state '", path, "': metadata key '", k,
             "' is reserved (keys starting with 'optim.' hold the optimizer state)");
    meta[k] = v;
  }
  if (opt)
    for (const auto& [k, v] : opt->state_metadata()) meta[kOptim + k] = v;
  save_safetensors(path, expected_state(module, opt), meta);
}

std::map<std::string, std::string> load_state(const std::string& path, Module& module, optim::Optimizer* opt) {
  SafeTensors file = load_safetensors(path);
  std::map<std::string, Tensor> in_file;
  for (auto& [name, t] : file.tensors)
    if (opt || !is_optim_key(name)) in_file.emplace(name, t);

  // Names must match exactly.
  NamedTensors expected = expected_state(module, opt);
  std::vector<std::string> missing, unexpected;
  std::set<std::string> expected_names;
  for (const auto& [name, t] : expected) {
    expected_names.insert(name);
    if (!in_file.count(name)) missing.push_back(name);
  }
  for (const auto& [name, t] : in_file)
    if (!expected_names.count(name)) unexpected.push_back(name);
  if (!missing.empty() || !unexpected.empty()) {
    std::ostringstream os;
    os << "load_state '" << path << "': the checkpoint does not match the " << module.type_name();
    if (!missing.empty()) os << "; missing entries: " << name_list(missing);
    if (!unexpected.empty()) os << "; unexpected entries: " << name_list(unexpected);
    NF_FAIL(os.str());
  }

  for (const auto& [name, dst] : expected) {
    const Tensor& src = in_file.at(name);
    NF_CHECK(src.shape() == dst.shape() && src.dtype() == dst.dtype(), "load_state '", path, "': entry '",
             name, "' is ", dtype_name(src.dtype()), " ", shape_str(src.shape()), " in the file but ",
             dtype_name(dst.dtype()), " ", shape_str(dst.shape()), " in the ",
             is_optim_key(name) ? "optimizer" : "module");
  }

  std::map<std::string, std::string> user_meta;
  optim::Metadata optim_meta;
  for (const auto& [k, v] : file.metadata) {
    if (is_optim_key(k)) {
      optim_meta[k.substr(kOptim.size())] = v;
    } else {
      user_meta[k] = v;
    }
  }
  if (opt) {
    try {
      opt->load_metadata(optim_meta);
    } catch (const Error& e) {
      NF_FAIL("load_state '", path, "': ", e.what());
    }
  }

  autograd::NoGradGuard no_grad;
  for (const auto& [name, dst] : expected) raw::copy_(dst, raw::to_device(in_file.at(name), dst.device()));
  return user_meta;
}

}  // namespace nf::nn
