#pragma once
// Fused softmax + cross-entropy over the vocabulary, one pass per row:
//   loss[n] = mask[n] * (logsumexp(logits[n]) - logits[n, target[n]])
//   correct[n] = mask[n] * (argmax(logits[n]) == target[n])
//   dlogits[n] = grad_scale * mask[n] * (softmax(logits[n]) - onehot(target[n]))   (=, in place)
// The per-row results are summed on the host in row order, so the totals are reproducible.
#include "hermes/backend/host/common.hpp"

namespace hermes::backend::host {

struct CrossEntropyStats {
  double loss_sum = 0;       // sum of masked per-token losses (nats)
  std::int64_t correct = 0;  // masked tokens whose argmax is the target
  std::int64_t count = 0;    // masked tokens
};

template <class T>
CrossEntropyStats cross_entropy_forward_backward(
    T* logits,                    // (N, V) in: logits; out: dlogits when write_grad, else scratch
    T* row_loss,                  // (N) workspace
    std::int32_t* row_correct,    // (N) workspace
    const std::int32_t* targets,  // (N)
    const std::uint8_t* mask,     // (N) or nullptr (all count)
    Index N, Index V, T grad_scale, bool write_grad);

}  // namespace hermes::backend::host
