#pragma once
// Which backend a run uses, from the deck's parallel.backend ("host", "cuda", "auto") and what
// this build and machine offer. "cuda" without a CUDA build or without a visible GPU is a
// one-line hermes::Error naming the key and the fix; "auto" picks CUDA only when both exist.
// The training loop calls this once at start-up and logs the answer.
#include <string>

namespace hermes::backend {

enum class Kind { host, cuda };

bool built_with_cuda();
int visible_gpus();  // 0 in CPU builds or without a driver/device
Kind resolve(const std::string& requested);
const char* to_string(Kind kind);

}  // namespace hermes::backend
