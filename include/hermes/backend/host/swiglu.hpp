#pragma once
// SwiGLU gate: out = silu(gate) * up, silu(g) = g sigmoid(g).
// Backward: dgate = dout * up * sigmoid(g) (1 + g (1 - sigmoid(g))); dup = dout * silu(g) (both =).
#include "hermes/backend/host/common.hpp"

namespace hermes::backend::host {

template <class T>
void swiglu_forward(T* out, const T* gate, const T* up, Index n);  // (n)
template <class T>
void swiglu_backward(T* dgate, T* dup, const T* gate, const T* up, const T* dout, Index n);  // (n) =

}  // namespace hermes::backend::host
