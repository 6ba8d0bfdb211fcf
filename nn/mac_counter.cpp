#include "nn/mac_counter.h"

#include "tensor/error.h"

namespace nf::nn {

MacCounter::MacCounter() : prev_(detail::active_mac_counter) { detail::active_mac_counter = this; }

MacCounter::~MacCounter() {
  detail::active_mac_counter = prev_;
  if (prev_) prev_->macs_ += macs_;
}

int64_t conv2d_macs(const Shape& out, const Shape& weight) {
  NF_CHECK(out.size() == 4 && weight.size() == 4, "conv2d_macs: expected out [N,C,H,W] and weight [O,C/g,KH,KW], got ",
           shape_str(out), " and ", shape_str(weight));
  return out[0] * out[1] * out[2] * out[3] * weight[1] * weight[2] * weight[3];
}

}  // namespace nf::nn
