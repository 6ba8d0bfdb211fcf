#include "nas/strategy_reinforce.h"

#include <map>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "nas/genotype_json.h"
#include "nas/strategy_util.h"
#include "tensor/error.h"
#include "tensor/ops.h"

namespace nf::nas {

using nlohmann::json;

ReinforceOptions ReinforceOptions::from_json(const json& j) {
  constexpr std::string_view what = "reinforce strategy options";
  detail::check_options(j, what,
                        {"hidden_size", "lr", "entropy_weight", "baseline_decay", "temperature", "tanh_constant",
                         "batch_size"});
  ReinforceOptions o;
  o.hidden_size = detail::option_int(j, what, "hidden_size", o.hidden_size,
                                     [](int64_t v) { return v >= 1 && v <= 4096; }, "an integer in 1..4096");
  o.lr = detail::option_number(j, what, "lr", o.lr, [](double v) { return v > 0 && v < 1e3; }, "a number > 0");
  o.entropy_weight = detail::option_number(j, what, "entropy_weight", o.entropy_weight,
                                           [](double v) { return v >= 0 && v < 1e6; }, "a number >= 0");
  o.baseline_decay = detail::option_number(j, what, "baseline_decay", o.baseline_decay,
                                           [](double v) { return v >= 0 && v < 1; }, "a number in [0, 1)");
  o.temperature = detail::option_number(j, what, "temperature", o.temperature,
                                        [](double v) { return v > 0 && v < 1e6; }, "a number > 0");
  o.tanh_constant = detail::option_number(j, what, "tanh_constant", o.tanh_constant,
                                          [](double v) { return v >= 0 && v < 1e6; }, "a number >= 0 (0 = off)");
  o.batch_size = detail::option_int(j, what, "batch_size", o.batch_size, [](int64_t v) { return v >= 1; },
                                    "an integer >= 1");
  return o;
}

json ReinforceOptions::to_json() const {
  return {{"hidden_size", hidden_size},       {"lr", lr},
          {"entropy_weight", entropy_weight}, {"baseline_decay", baseline_decay},
          {"temperature", temperature},       {"tanh_constant", tanh_constant},
          {"batch_size", batch_size}};
}

Reinforce::Reinforce(const SearchSpace& space, Options options, uint64_t seed)
    : Strategy(space, seed), options_(options) {
  NF_CHECK(options.batch_size >= 1 && options.baseline_decay >= 0 && options.baseline_decay < 1 &&
               options.entropy_weight >= 0,
           "reinforce strategy: need batch_size >= 1, baseline_decay in [0, 1) and entropy_weight >= 0, got ",
           options.batch_size, ", ", options.baseline_decay, " and ", options.entropy_weight);
  controller_ = std::make_shared<Controller>(
      space.decisions(),
      ControllerOptions{.hidden_size = options.hidden_size,
                        .temperature = options.temperature,
                        .tanh_constant = options.tanh_constant},
      gen_);
  adam_ = std::make_unique<optim::Adam>(controller_->parameters(), optim::AdamOptions{.lr = options.lr});
}

Genotype Reinforce::propose() {
  Genotype g = space_.decode(controller_->sample(gen_));
  ++num_proposed_;
  return g;
}

void Reinforce::observe(const Genotype& g, const TrialResult& result) {
  Tokens tokens = space_.encode(g);
  const bool failed = is_failure(result);
  const double reward = failed ? lowest_reward_.value_or(0.0) : result.objective;
  if (!failed) lowest_reward_ = std::min(lowest_reward_.value_or(reward), reward);
  if (!baseline_) baseline_ = reward;
  pending_.push_back({std::move(tokens), reward - *baseline_});
  const double d = options_.baseline_decay;
  baseline_ = d * *baseline_ + (1 - d) * reward;
  ++num_observed_;
  if (static_cast<int64_t>(pending_.size()) >= options_.batch_size) update();
}

void Reinforce::update() {
  adam_->zero_grad();
  Tensor loss;
  for (const Pending& p : pending_) {
    Controller::Score s = controller_->score(p.tokens);
    Tensor term = s.log_prob * -p.advantage - s.entropy * options_.entropy_weight;
    loss = loss.defined() ? loss + term : term;
  }
  (loss / static_cast<double>(pending_.size())).backward();
  adam_->step();
  pending_.clear();
}

json Reinforce::save_state() const {
  auto optional_number = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json pending = json::array();
  for (const Pending& p : pending_) pending.push_back({{"tokens", p.tokens}, {"advantage", p.advantage}});
  json weights = json::object();
  for (const auto& [name, t] : controller_->named_parameters()) weights[name] = detail::tensor_to_json(t);
  json optim_tensors = json::object();
  for (const auto& [name, t] : adam_->state_tensors()) optim_tensors[name] = detail::tensor_to_json(t);
  return {{"baseline", optional_number(baseline_)},
          {"lowest_reward", optional_number(lowest_reward_)},
          {"pending", pending},
          {"controller", weights},
          {"optimizer", {{"metadata", adam_->state_metadata()}, {"tensors", optim_tensors}}}};
}

namespace {

// Reads a {name: tensor} object holding exactly the names of `live`, as host
// tensors in the order of `live`.
std::vector<Tensor> read_tensors(const json& j, const nn::NamedTensors& live, std::string_view what,
                                 const std::string& path) {
  if (!j.is_object()) detail::json_fail(what, path, "expected an object, got " + j.dump().substr(0, 40));
  if (j.size() != live.size())
    detail::json_fail(what, path,
                      "expected " + std::to_string(live.size()) + " tensors, got " + std::to_string(j.size()));
  std::vector<Tensor> out;
  for (const auto& [name, t] : live) {
    if (!j.contains(name)) detail::json_fail(what, path, "missing tensor '" + name + "'");
    out.push_back(detail::tensor_from_json(j.at(name), t, what, detail::field_path(path, name)));
  }
  return out;
}

std::optional<double> read_optional_number(const json& j, std::string_view what, std::string_view path) {
  if (j.is_null()) return std::nullopt;
  return detail::get_number(j, what, path);
}

}  // namespace

void Reinforce::load_state(const json& j) {
  const std::string what = state_what();
  detail::check_object(j, what, "state", {"baseline", "lowest_reward", "pending", "controller", "optimizer"});
  std::optional<double> baseline = read_optional_number(j.at("baseline"), what, "state.baseline");
  std::optional<double> lowest = read_optional_number(j.at("lowest_reward"), what, "state.lowest_reward");

  const json& pending_j = j.at("pending");
  detail::check_array(pending_j, what, "state.pending");
  if (static_cast<int64_t>(pending_j.size()) >= options_.batch_size)
    detail::json_fail(what, "state.pending", "holds " + std::to_string(pending_j.size()) +
                                                 " results, a full batch (batch_size " +
                                                 std::to_string(options_.batch_size) + ")");
  std::vector<Pending> pending;
  for (size_t i = 0; i < pending_j.size(); ++i) {
    const std::string path = detail::index_path("state.pending", static_cast<int64_t>(i));
    detail::check_object(pending_j[i], what, path, {"tokens", "advantage"});
    const json& tokens_j = pending_j[i].at("tokens");
    const std::string tokens_path = detail::field_path(path, "tokens");
    detail::check_array(tokens_j, what, tokens_path, static_cast<int64_t>(space_.decisions().size()), "tokens");
    Pending p;
    for (size_t k = 0; k < tokens_j.size(); ++k) {
      int64_t t = detail::get_int(tokens_j[k], what, detail::index_path(tokens_path, static_cast<int64_t>(k)));
      if (t < 0 || t >= space_.decisions()[k].num_options())
        detail::json_fail(what, detail::index_path(tokens_path, static_cast<int64_t>(k)),
                          "token " + std::to_string(t) + " out of range");
      p.tokens.push_back(static_cast<int>(t));
    }
    p.advantage = detail::get_number(pending_j[i].at("advantage"), what, detail::field_path(path, "advantage"));
    pending.push_back(std::move(p));
  }

  const nn::NamedTensors params = controller_->named_parameters();
  std::vector<Tensor> weights = read_tensors(j.at("controller"), params, what, "state.controller");
  const json& optim_j = j.at("optimizer");
  detail::check_object(optim_j, what, "state.optimizer", {"metadata", "tensors"});
  const nn::NamedTensors optim_live = adam_->state_tensors();
  std::vector<Tensor> optim_values = read_tensors(optim_j.at("tensors"), optim_live, what, "state.optimizer.tensors");
  const json& meta_j = optim_j.at("metadata");
  detail::check_object(meta_j, what, "state.optimizer.metadata", {"type", "step", "lr"});
  optim::Metadata meta;
  for (const auto& [key, value] : meta_j.items())
    meta[key] = detail::get_string(value, what, detail::field_path("state.optimizer.metadata", key));

  // Everything is read: commit (load_metadata checks its values before changing any).
  try {
    adam_->load_metadata(meta);
  } catch (const Error& e) {
    detail::json_fail(what, "state.optimizer.metadata", e.what());
  }
  autograd::NoGradGuard no_grad;
  for (size_t i = 0; i < params.size(); ++i) raw::copy_(params[i].second, weights[i]);
  for (size_t i = 0; i < optim_live.size(); ++i) raw::copy_(optim_live[i].second, optim_values[i]);
  controller_->zero_grad();
  baseline_ = baseline;
  lowest_reward_ = lowest;
  pending_ = std::move(pending);
}

}  // namespace nf::nas
