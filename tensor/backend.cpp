// Device -> Backend lookup. The CPU backend is always present; other backends
// (CUDA) register a factory when their library is linked in.
#include "tensor/backend.h"

#include <map>
#include <memory>
#include <mutex>

#include "tensor/cpu/cpu_backend.h"

namespace nf {

namespace {
struct Registry {
  std::mutex mutex;
  std::map<DeviceType, Backend* (*)(int)> factories;
  std::map<std::pair<DeviceType, int>, Backend*> instances;
};
Registry& registry() {
  static Registry r;
  return r;
}
}  // namespace

void register_backend(DeviceType type, Backend* (*factory)(int index)) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.factories[type] = factory;
}

Backend& backend_for(Device d) {
  if (d.is_cpu()) return cpu::cpu_backend();
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto key = std::make_pair(d.type, d.index);
  if (auto it = r.instances.find(key); it != r.instances.end()) return *it->second;
  auto f = r.factories.find(d.type);
  NF_CHECK(f != r.factories.end(), "device ", d.str(),
           ": no backend for this device in this build (was nasforge built with CUDA?)");
  Backend* b = f->second(d.index);
  r.instances[key] = b;
  return *b;
}

}  // namespace nf
