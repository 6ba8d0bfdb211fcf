// MacCounter: counts the multiply-accumulates (MACs, the "multi-adds" of the
// NASNet/DARTS papers) of the convolutions and linear layers that run on this
// thread while it is alive:
//   nn::MacCounter counter;
//   net->forward(x);
//   int64_t m = counter.macs();
// Conv2d adds N * C_out * H_out * W_out * (C_in / groups) * KH * KW, Linear adds
// rows * in * out (bias additions, BN, pooling and activations are not counted).
// Counters nest: the innermost one counts, and hands its total to the enclosing
// one when it ends, so an outer counter sees everything. With no counter alive
// a layer pays one thread-local pointer test.
#pragma once
#include <cstdint>

#include "tensor/shape.h"

namespace nf::nn {

class MacCounter;
namespace detail {
inline thread_local MacCounter* active_mac_counter = nullptr;
}

class MacCounter {
 public:
  MacCounter();
  ~MacCounter();
  MacCounter(const MacCounter&) = delete;
  MacCounter& operator=(const MacCounter&) = delete;

  int64_t macs() const { return macs_; }
  void reset() { macs_ = 0; }

  // The counter of this thread, or null when none is alive.
  static MacCounter* active() { return detail::active_mac_counter; }
  // Adds to the active counter, if any.
  static void add(int64_t macs) {
    if (MacCounter* c = active()) c->macs_ += macs;
  }

 private:
  MacCounter* prev_;
  int64_t macs_ = 0;
};

// The MACs of one 2-D convolution: out [N, C_out, H_out, W_out], weight
// [C_out, C_in / groups, KH, KW] -> N * C_out * H_out * W_out * (C_in / groups) * KH * KW.
int64_t conv2d_macs(const Shape& out, const Shape& weight);

}  // namespace nf::nn
