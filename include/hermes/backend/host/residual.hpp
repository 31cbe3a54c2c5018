#pragma once
// Residual add: out = a + b. Backward is the identity on both inputs, so the model carries one
// residual-stream gradient buffer and no backward kernel exists.
#include "hermes/backend/host/common.hpp"

namespace hermes::backend::host {

template <class T>
void residual_forward(T* out, const T* a, const T* b, Index n);  // (n)

}  // namespace hermes::backend::host
