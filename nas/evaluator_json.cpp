// JSON forms of the evaluator's records (trials.jsonl, config.json).
#include <nlohmann/json.hpp>

#include "nas/evaluator.h"
#include "tensor/error.h"

namespace nf::nas {

namespace {

using json = nlohmann::json;

// Reads j[key] into `value` when present, checking its JSON type.
template <typename T>
void read(const json& j, const char* what, const char* key, T& value) {
  if (!j.contains(key)) return;
  const json& v = j[key];
  bool ok;
  if constexpr (std::is_same_v<T, bool>) ok = v.is_boolean();
  else if constexpr (std::is_same_v<T, std::string>) ok = v.is_string();
  else if constexpr (std::is_integral_v<T>) ok = v.is_number_integer() && (std::is_signed_v<T> || v.is_number_unsigned());
  else ok = v.is_number();
  NF_CHECK(ok, what, ": ", key, ": unexpected value ", v.dump());
  value = v.get<T>();
}

void check_object(const json& j, const char* what) {
  NF_CHECK(j.is_object(), what, ": expected a JSON object, got ", j.dump().substr(0, 80));
}

}  // namespace

void to_json(json& j, const Evaluation& e) {
  j = {{"val_accuracy", e.val_accuracy}, {"val_loss", e.val_loss}, {"train_loss", e.train_loss},
       {"params", e.cost.params},        {"macs", e.cost.macs},     {"latency_ms", e.latency_ms},
       {"seconds", e.seconds},           {"steps", e.steps},        {"skipped_steps", e.skipped_steps},
       {"time_limited", e.time_limited}, {"failed", e.failed}};
  if (e.failed) j["reason"] = e.reason;
}

void from_json(const json& j, Evaluation& e) {
  const char* what = "trial evaluation JSON";
  check_object(j, what);
  Evaluation out;
  read(j, what, "val_accuracy", out.val_accuracy);
  read(j, what, "val_loss", out.val_loss);
  read(j, what, "train_loss", out.train_loss);
  read(j, what, "params", out.cost.params);
  read(j, what, "macs", out.cost.macs);
  read(j, what, "latency_ms", out.latency_ms);
  read(j, what, "seconds", out.seconds);
  read(j, what, "steps", out.steps);
  read(j, what, "skipped_steps", out.skipped_steps);
  read(j, what, "time_limited", out.time_limited);
  read(j, what, "failed", out.failed);
  read(j, what, "reason", out.reason);
  e = out;
}

void to_json(json& j, const TrialProtocol& p) {
  j = {{"epochs", p.epochs},         {"batch_size", p.batch_size}, {"lr", p.lr},
       {"weight_decay", p.weight_decay}, {"grad_clip", p.grad_clip}, {"time_limit", p.time_limit},
       {"seed", p.seed},             {"latency_runs", p.latency_runs},
       {"on_nonfinite", nn::on_nonfinite_name(p.on_nonfinite)}, {"max_skipped_steps", p.max_skipped_steps}};
}

void from_json(const json& j, TrialProtocol& p) {
  const char* what = "trial protocol JSON";
  check_object(j, what);
  TrialProtocol out;
  read(j, what, "epochs", out.epochs);
  read(j, what, "batch_size", out.batch_size);
  read(j, what, "lr", out.lr);
  read(j, what, "weight_decay", out.weight_decay);
  read(j, what, "grad_clip", out.grad_clip);
  read(j, what, "time_limit", out.time_limit);
  read(j, what, "seed", out.seed);
  read(j, what, "latency_runs", out.latency_runs);
  std::string on_nonfinite = nn::on_nonfinite_name(out.on_nonfinite);  // absent (older configs): fail
  read(j, what, "on_nonfinite", on_nonfinite);
  out.on_nonfinite = nn::parse_on_nonfinite(on_nonfinite, std::string(what) + ": on_nonfinite");
  read(j, what, "max_skipped_steps", out.max_skipped_steps);
  p = out;
}

void to_json(json& j, const Constraints& c) {
  j = {{"max_params", c.max_params}, {"max_macs", c.max_macs}, {"max_latency_ms", c.max_latency_ms}};
}

void from_json(const json& j, Constraints& c) {
  const char* what = "constraints JSON";
  check_object(j, what);
  Constraints out;
  read(j, what, "max_params", out.max_params);
  read(j, what, "max_macs", out.max_macs);
  read(j, what, "max_latency_ms", out.max_latency_ms);
  c = out;
}

}  // namespace nf::nas
