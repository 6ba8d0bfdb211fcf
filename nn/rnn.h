// LSTM (Hochreiter & Schmidhuber 1997, PyTorch's formulation and gate order i, f, g, o):
//   gates = x W_ih^T + b_ih + h W_hh^T + b_hh          [N, 4H]
//   i, f, o = sigmoid(...), g = tanh(...)
//   c' = f * c + i * g,  h' = o * tanh(c')
// Weights W_ih [4H, I], W_hh [4H, H], biases [4H], all U(-1/sqrt(H), 1/sqrt(H)).
//
// LSTM takes a whole sequence. Layout: sequence-first [T, N, I] by default
// (PyTorch's default); batch_first = true takes and returns [N, T, I].
// Parameter names match PyTorch (weight_ih_l0, bias_hh_l1, ...).
#pragma once
#include <memory>
#include <vector>

#include "nn/module.h"

namespace nf::nn {

struct LSTMState {
  Tensor h, c;  // LSTMCell: [N, H]; LSTM: [num_layers, N, H]
};

// One LSTM step with explicit weights (bias tensors may be undefined).
LSTMState lstm_cell(const Tensor& x, const LSTMState& state, const Tensor& w_ih, const Tensor& w_hh,
                    const Tensor& b_ih, const Tensor& b_hh);

class LSTMCellImpl : public Module {
 public:
  LSTMCellImpl(int64_t input_size, int64_t hidden_size, bool bias = true);
  // x [N, I], state [N, H] each (undefined: zeros) -> the new state.
  LSTMState step(const Tensor& x, const LSTMState& state = {});
  // The new h for a zero state.
  Tensor forward(const Tensor& x) override { return step(x).h; }

  Tensor weight_ih, weight_hh, bias_ih, bias_hh;
  const int64_t input_size, hidden_size;
};

struct LSTMOptions {
  int64_t num_layers = 1;
  bool bias = true;
  bool batch_first = false;
};

struct LSTMOutput {
  Tensor output;  // [T, N, H] (batch_first: [N, T, H]): the last layer's h at every step
  LSTMState state;  // h_n, c_n [num_layers, N, H]
};

class LSTMImpl : public Module {
 public:
  LSTMImpl(int64_t input_size, int64_t hidden_size, LSTMOptions opts = {});
  // `state` [num_layers, N, H] each, or undefined for zeros.
  LSTMOutput run(const Tensor& x, const LSTMState& state = {});
  Tensor forward(const Tensor& x) override { return run(x).output; }

  const int64_t input_size, hidden_size;
  const LSTMOptions options;

 private:
  struct Layer {
    Tensor w_ih, w_hh, b_ih, b_hh;
  };
  std::vector<Layer> layers_;
};

inline std::shared_ptr<LSTMCellImpl> LSTMCell(int64_t input_size, int64_t hidden_size, bool bias = true) {
  return std::make_shared<LSTMCellImpl>(input_size, hidden_size, bias);
}
inline std::shared_ptr<LSTMImpl> LSTM(int64_t input_size, int64_t hidden_size, LSTMOptions opts = {}) {
  return std::make_shared<LSTMImpl>(input_size, hidden_size, opts);
}

}  // namespace nf::nn
