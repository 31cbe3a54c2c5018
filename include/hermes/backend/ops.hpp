#pragma once
// The ops interface: everything the transformer computes, one op per header pair in
// backend/host/ (forward and backward together), each opening with its math, shapes and gradient
// rule. Rules (llm.c's): parameter grads accumulate (+=) so micro-batches add up without copies;
// activation grads are written (=), except rmsnorm's dinp which adds into the residual stream.
// All tensors are row-major, contiguous unless a leading dimension is given. The host backend is
// templated on the scalar (float for training, double for the finite-difference tests); the
// CUDA backend implements the same functions, same names and argument order, in backend::cuda.
#include "hermes/backend/host/attention.hpp"
#include "hermes/backend/host/common.hpp"
#include "hermes/backend/host/cross_entropy.hpp"
#include "hermes/backend/host/embedding.hpp"
#include "hermes/backend/host/gelu.hpp"
#include "hermes/backend/host/linear.hpp"
#include "hermes/backend/host/residual.hpp"
#include "hermes/backend/host/rmsnorm.hpp"
#include "hermes/backend/host/rope.hpp"
#include "hermes/backend/host/smear.hpp"
#include "hermes/backend/host/swiglu.hpp"
#include "hermes/backend/host/kv_cache.hpp"
