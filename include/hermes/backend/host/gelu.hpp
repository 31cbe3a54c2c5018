#pragma once
// GELU, tanh approximation: y = x/2 (1 + tanh(k (x + 0.044715 x^3))), k = sqrt(2/pi).
// Backward: dinp = dout * y'(x) (=).
#include "hermes/backend/host/common.hpp"

namespace hermes::backend::host {

template <class T>
void gelu_forward(T* out, const T* inp, Index n);  // (n)
template <class T>
void gelu_backward(T* dinp, const T* inp, const T* dout, Index n);  // (n) =

}  // namespace hermes::backend::host
