#include "nn/rnn.h"

#include <cmath>
#include <string>

#include "autograd/functions.h"
#include "nn/init.h"
#include "tensor/factory.h"

namespace nf::nn {

namespace {

// Registers the four LSTM tensors of one layer under `suffix` ("" or "_l0").
void make_lstm_weights(Module& m, const std::string& suffix, int64_t in, int64_t hidden, bool bias,
                       Tensor& w_ih, Tensor& w_hh, Tensor& b_ih, Tensor& b_hh) {
  const double bound = 1.0 / std::sqrt(double(hidden));
  auto make = [&](const std::string& name, const Shape& shape) {
    Tensor t = m.register_parameter(name + suffix, empty(shape));
    init::uniform_(t, -bound, bound);
    return t;
  };
  w_ih = make("weight_ih", {4 * hidden, in});
  w_hh = make("weight_hh", {4 * hidden, hidden});
  if (bias) {
    b_ih = make("bias_ih", {4 * hidden});
    b_hh = make("bias_hh", {4 * hidden});
  }
}

void check_state_part(const char* op, const char* what, const Tensor& t, const Shape& expected) {
  NF_CHECK(!t.defined() || t.shape() == expected, op, ": ", what, " has shape ", shape_str(t.shape()),
           ", expected ", shape_str(expected));
}

}  // namespace

LSTMState lstm_cell(const Tensor& x, const LSTMState& state, const Tensor& w_ih, const Tensor& w_hh,
                    const Tensor& b_ih, const Tensor& b_hh) {
  const int64_t hidden = w_hh.size(1);
  Tensor gates = matmul(x, w_ih.t()) + matmul(state.h, w_hh.t());
  if (b_ih.defined()) gates = gates + (b_ih + b_hh);
  Tensor i = sigmoid(gates.narrow(1, 0, hidden));
  Tensor f = sigmoid(gates.narrow(1, hidden, hidden));
  Tensor g = tanh(gates.narrow(1, 2 * hidden, hidden));
  Tensor o = sigmoid(gates.narrow(1, 3 * hidden, hidden));
  Tensor c = f * state.c + i * g;
  return {o * tanh(c), c};
}

LSTMCellImpl::LSTMCellImpl(int64_t in, int64_t hidden, bool bias)
    : Module("LSTMCell"), input_size(in), hidden_size(hidden) {
  NF_CHECK(in > 0 && hidden > 0, "LSTMCell: sizes must be positive, got input=", in, " hidden=", hidden);
  make_lstm_weights(*this, "", in, hidden, bias, weight_ih, weight_hh, bias_ih, bias_hh);
}

LSTMState LSTMCellImpl::step(const Tensor& x, const LSTMState& state) {
  NF_CHECK(x.dim() == 2 && x.size(1) == input_size, "LSTMCell: expected input [N,", input_size,
           "], got ", shape_str(x.shape()));
  const Shape hs{x.size(0), hidden_size};
  check_state_part("LSTMCell", "h", state.h, hs);
  check_state_part("LSTMCell", "c", state.c, hs);
  const TensorOptions opts{x.dtype(), x.device()};
  LSTMState s{state.h.defined() ? state.h : zeros(hs, opts), state.c.defined() ? state.c : zeros(hs, opts)};
  return lstm_cell(x, s, weight_ih, weight_hh, bias_ih, bias_hh);
}

LSTMImpl::LSTMImpl(int64_t in, int64_t hidden, LSTMOptions o)
    : Module("LSTM"), input_size(in), hidden_size(hidden), options(o) {
  NF_CHECK(in > 0 && hidden > 0 && o.num_layers > 0,
           "LSTM: sizes and num_layers must be positive, got input=", in, " hidden=", hidden,
           " num_layers=", o.num_layers);
  layers_.resize(o.num_layers);
  for (int64_t l = 0; l < o.num_layers; ++l) {
    Layer& L = layers_[l];
    make_lstm_weights(*this, "_l" + std::to_string(l), l == 0 ? in : hidden, hidden, o.bias, L.w_ih,
                      L.w_hh, L.b_ih, L.b_hh);
  }
}

LSTMOutput LSTMImpl::run(const Tensor& input, const LSTMState& state) {
  NF_CHECK(input.dim() == 3 && input.size(2) == input_size, "LSTM: expected input ",
           options.batch_first ? "[N,T," : "[T,N,", input_size, "], got ", shape_str(input.shape()));
  const Tensor x = options.batch_first ? input.transpose(0, 1) : input;  // [T, N, I]
  const int64_t T = x.size(0), N = x.size(1), L = options.num_layers;
  NF_CHECK(T > 0, "LSTM: the input sequence is empty, got ", shape_str(input.shape()));
  const Shape ss{L, N, hidden_size};
  check_state_part("LSTM", "h_0", state.h, ss);
  check_state_part("LSTM", "c_0", state.c, ss);
  const TensorOptions opts{x.dtype(), x.device()};

  std::vector<Tensor> h_n, c_n;
  std::vector<Tensor> seq;  // the current layer's input, one [N, *] per step
  for (int64_t t = 0; t < T; ++t) seq.push_back(select(x, 0, t));
  for (int64_t l = 0; l < L; ++l) {
    const Layer& W = layers_[l];
    LSTMState s{state.h.defined() ? select(state.h, 0, l) : zeros({N, hidden_size}, opts),
                state.c.defined() ? select(state.c, 0, l) : zeros({N, hidden_size}, opts)};
    for (int64_t t = 0; t < T; ++t) {
      s = lstm_cell(seq[t], s, W.w_ih, W.w_hh, W.b_ih, W.b_hh);
      seq[t] = s.h;
    }
    h_n.push_back(s.h);
    c_n.push_back(s.c);
  }
  Tensor out = stack(seq, 0);  // [T, N, H]
  if (options.batch_first) out = out.transpose(0, 1);
  return {out, {stack(h_n, 0), stack(c_n, 0)}};
}

}  // namespace nf::nn
