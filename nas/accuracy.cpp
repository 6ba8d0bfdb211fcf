#include "nas/accuracy.h"

#include "autograd/grad_mode.h"
#include "data/loader.h"
#include "nas/device_batch.h"
#include "nn/loss.h"
#include "tensor/ops.h"

namespace nf::nas {

int64_t count_correct(const Tensor& logits, const Tensor& labels) {
  return int64_t(
      raw::sum(raw::cast(raw::binary(BinaryOp::eq, raw::argmax(logits.detach(), 1), labels), DType::i64)).item());
}

EvalResult evaluate(nn::Module& net, std::shared_ptr<const data::Dataset> set, const data::Transform& transform,
                    int64_t batch_size) {
  autograd::NoGradGuard no_grad;
  const bool was_training = net.is_training();
  net.eval();
  data::DataLoader loader(std::move(set), {.batch_size = batch_size, .shuffle = false, .transform = transform});
  double loss_sum = 0;
  int64_t correct = 0, count = 0;
  const Device device = net.device();  // batches are made on the host
  for (auto& batch : loader) {
    const auto [x, y] = to_device(batch, device);
    Tensor logits = net.forward(x);
    const int64_t n = y.size(0);
    loss_sum += nn::cross_entropy(logits, y).item() * double(n);
    correct += count_correct(logits, y);
    count += n;
  }
  net.train(was_training);
  EvalResult r;
  r.count = count;
  if (count > 0) {
    r.loss = loss_sum / double(count);
    r.accuracy = double(correct) / double(count);
  }
  return r;
}

}  // namespace nf::nas
