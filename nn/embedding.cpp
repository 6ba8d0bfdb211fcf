#include "nn/embedding.h"

#include "autograd/functions.h"
#include "nn/init.h"
#include "tensor/factory.h"

namespace nf::nn {

EmbeddingImpl::EmbeddingImpl(int64_t n, int64_t d)
    : Module("Embedding"), num_embeddings(n), embedding_dim(d) {
  NF_CHECK(n > 0 && d > 0, "Embedding: sizes must be positive, got num_embeddings=", n, " dim=", d);
  weight = register_parameter("weight", empty({n, d}));
  init::normal_(weight, 0.0, 1.0);
}

Tensor EmbeddingImpl::forward(const Tensor& indices) {
  NF_CHECK(indices.dtype() == DType::i64, "Embedding: indices must be i64, got ",
           dtype_name(indices.dtype()));
  Shape out_shape = indices.shape();
  out_shape.push_back(embedding_dim);
  return reshape(index_select(weight, 0, reshape(indices, {-1})), out_shape);
}

}  // namespace nf::nn
