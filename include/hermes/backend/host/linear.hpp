#pragma once
// Linear layer through BLAS. out = inp W^T + b (b optional: nullptr).
// Backward: dinp = dout W (=); dW += dout^T inp; db += sum_n dout (parameter grads accumulate).
// The tied output projection is this op with W = the token embedding and no bias.
#include "hermes/backend/host/common.hpp"

namespace hermes::backend::host {

template <class T>
void linear_forward(T* out,           // (N, OC)
                    const T* inp,     // (N, IC)
                    const T* weight,  // (OC, IC)
                    const T* bias,    // (OC) or nullptr
                    Index N, Index IC, Index OC);
template <class T>
void linear_backward(T* dinp,     // (N, IC) =   (nullptr: not needed)
                     T* dweight,  // (OC, IC) +=
                     T* dbias,    // (OC) +=     (nullptr when no bias)
                     const T* dout, const T* inp, const T* weight, Index N, Index IC, Index OC);

}  // namespace hermes::backend::host
