#pragma once
// Token embedding. out[n, :] = wte[tokens[n], :].
// Backward: dwte[tokens[n], :] += dout[n, :] (parameter grad accumulates).
#include "hermes/backend/host/common.hpp"

namespace hermes::backend::host {

template <class T>
void embedding_forward(T* out,                      // (N, C)
                       const std::int32_t* tokens,  // (N)
                       const T* wte,                // (V, C)
                       Index N, Index C);
template <class T>
void embedding_backward(T* dwte,                     // (V, C) +=
                        const T* dout,               // (N, C)
                        const std::int32_t* tokens,  // (N)
                        Index N, Index C);

}  // namespace hermes::backend::host
