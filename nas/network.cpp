#include "nas/network.h"

#include <nlohmann/json.hpp>

#include "tensor/error.h"

namespace nf::nas {

void to_json(nlohmann::json& j, const NetworkConfig& c) {
  j = {{"image_shape", c.image_shape}, {"num_classes", c.num_classes}, {"channels", c.channels},
       {"cells", c.cells},             {"drop_path", c.drop_path}};
  if (c.auxiliary) j["auxiliary"] = true;
}

namespace {
int64_t positive_int(const nlohmann::json& j, const char* key, int64_t dflt, int64_t max) {
  if (!j.contains(key)) return dflt;
  const auto& v = j[key];
  NF_CHECK(v.is_number_integer() && v.get<int64_t>() >= 1 && v.get<int64_t>() <= max, "network config: ", key,
           ": expected an integer in 1..", max, ", got ", v.dump());
  return v.get<int64_t>();
}
}  // namespace

void from_json(const nlohmann::json& j, NetworkConfig& c) {
  NF_CHECK(j.is_object(), "network config: expected a JSON object, got ", j.dump());
  for (auto& [key, value] : j.items())
    NF_CHECK(key == "image_shape" || key == "num_classes" || key == "channels" || key == "cells" ||
                 key == "drop_path" || key == "auxiliary",
             "network config: unknown field '", key, "'");
  NetworkConfig out;
  if (j.contains("image_shape")) {
    const auto& s = j["image_shape"];
    NF_CHECK(s.is_array() && s.size() == 3, "network config: image_shape: expected [C, H, W], got ", s.dump());
    out.image_shape.clear();
    for (const auto& d : s) {
      NF_CHECK(d.is_number_integer() && d.get<int64_t>() >= 1 && d.get<int64_t>() <= 4096,
               "network config: image_shape: expected positive sizes up to 4096, got ", s.dump());
      out.image_shape.push_back(d.get<int64_t>());
    }
  }
  out.num_classes = positive_int(j, "num_classes", out.num_classes, 100000);
  out.channels = positive_int(j, "channels", out.channels, 4096);
  out.cells = positive_int(j, "cells", out.cells, 1000);
  if (j.contains("drop_path")) {
    const auto& v = j["drop_path"];
    NF_CHECK(v.is_number() && v.get<double>() >= 0 && v.get<double>() < 1,
             "network config: drop_path: expected a probability in [0, 1), got ", v.dump());
    out.drop_path = v.get<double>();
  }
  if (j.contains("auxiliary")) {
    NF_CHECK(j["auxiliary"].is_boolean(), "network config: auxiliary: expected true or false, got ", j["auxiliary"].dump());
    out.auxiliary = j["auxiliary"].get<bool>();
  }
  c = out;
}

}  // namespace nf::nas
