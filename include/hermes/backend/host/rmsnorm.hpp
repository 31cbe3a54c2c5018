#pragma once
// RMSNorm. r[n] = 1 / sqrt(mean_c x[n,c]^2 + eps); out[n,c] = x[n,c] * r[n] * w[c].
// Backward: dw[c] += sum_n dout*x*r; dx[n,c] += r*w*dout - r^3/C * x * sum_c'(dout*w*x).
// dinp ACCUMULATES (+=): a norm's input always sits on the residual stream, whose gradient
// already holds the skip connection's share. This is the one activation grad that is not `=`.
#include "hermes/backend/host/common.hpp"

namespace hermes::backend::host {

template <class T>
void rmsnorm_forward(T* out,           // (N, C)
                     T* rstd,          // (N) saved for backward
                     const T* inp,     // (N, C)
                     const T* weight,  // (C)
                     Index N, Index C, double eps);
template <class T>
void rmsnorm_backward(T* dinp,     // (N, C) +=
                      T* dweight,  // (C) +=
                      const T* dout, const T* inp, const T* weight, const T* rstd, Index N, Index C);

}  // namespace hermes::backend::host
