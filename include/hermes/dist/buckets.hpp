#pragma once
// Gradient bucketing and ZeRO-1 sharding arithmetic, shared by the NCCL and MPI paths and plain
// C++ so that CPU builds test it.
// Backward finishes parameter gradients from the END of the arena towards the start (the head
// and last block first; Transformer::GradReady reports "everything at or after offset is final"),
// so buckets are planned from the end, cut at tensor boundaries, each at least `target` elements
// (unless the whole arena is smaller: a short remainder at the start joins its neighbour), and
// issued in that order while backward goes on.
#include <cstdint>
#include <vector>

namespace hermes::dist {

struct Bucket {
  std::int64_t begin = 0, end = 0;  // arena elements [begin, end)
  std::int64_t size() const { return end - begin; }
};

// tensor_begins: the start offset of every tensor in the arena, ascending, first 0; total: arena
// size. Returns buckets in issue order (highest offsets first); together they tile [0, total).
std::vector<Bucket> plan_buckets(const std::vector<std::int64_t>& tensor_begins, std::int64_t total,
                                 std::int64_t target);

// Which planned buckets became final when backward reports ready_from; call in order of
// decreasing ready_from. next: the index of the first bucket not yet issued (updated).
std::vector<std::size_t> buckets_ready(const std::vector<Bucket>& plan, std::int64_t ready_from, std::size_t& next);

// ZeRO-1: the arena padded to a multiple of world*align elements, cut into equal shards (NCCL's
// reduce-scatter and all-gather need equal counts). The shard of `rank` may run past `total`
// into padding; `owned` is its part inside [0, total).
struct Shard {
  std::int64_t padded_total = 0, shard_size = 0;
  std::int64_t begin = 0, end = 0;  // this rank's padded range
  std::int64_t owned_begin = 0, owned_end = 0;
};
Shard shard_for(std::int64_t total, int world, int rank, std::int64_t align = 16);

// The pieces of tensors [begins[i], begins[i] + sizes[i]) inside [lo, hi), as (tensor index,
// begin, end) in ascending order.
struct Piece {
  std::size_t tensor = 0;
  std::int64_t begin = 0, end = 0;
};
std::vector<Piece> pieces_in(const std::vector<std::int64_t>& begins, const std::vector<std::int64_t>& sizes,
                             std::int64_t lo, std::int64_t hi);

}  // namespace hermes::dist
