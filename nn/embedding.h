// Embedding: a lookup table weight [num_embeddings, dim] (init N(0, 1));
// indices i64 of any shape S -> [S..., dim]. The gradient of the table is
// the scatter-add of the output gradient onto the looked-up rows.
#pragma once
#include <memory>

#include "nn/module.h"

namespace nf::nn {

class EmbeddingImpl : public Module {
 public:
  EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim);
  Tensor forward(const Tensor& indices) override;

  Tensor weight;
  const int64_t num_embeddings, embedding_dim;
};

inline std::shared_ptr<EmbeddingImpl> Embedding(int64_t num_embeddings, int64_t embedding_dim) {
  return std::make_shared<EmbeddingImpl>(num_embeddings, embedding_dim);
}

}  // namespace nf::nn
