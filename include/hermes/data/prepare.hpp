#pragma once
// The prepare pipeline: corpus files -> documents -> token ids (+ loss mask) -> HDF5 shards per
// split + manifest.json. The tokenizer sits behind `Encoder`, a function object, so the pipeline
// is tested with a byte-level stand-in and runs in the prepare stage with the real tokenizer.
//
// Parallel over ranks, identical output for any rank count:
//  1. index: input file f is scanned for document boundaries by rank f % R and broadcast, so
//     every rank knows the global document list (file order, then order within the file);
//  2. split: every rank computes the same seeded split of that list;
//  3. tokenize: rank r encodes a contiguous range of documents (balanced by bytes) and spills ids,
//     masks and per-document lengths to <output_dir>/.prepare-tmp/;
//  4. shards: shard boundaries follow from the global per-document lengths alone; shard k is
//     written by rank k % R from the spill files (memory: one shard);
//  5. rank 0 writes manifest.json last. Every file is written to a temporary name, then renamed.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hermes/data/corpus.hpp"

namespace hermes::dist {
class Communicator;
}

namespace hermes::data {

struct EncodedDocument {
  std::vector<std::uint32_t> ids;  // ends with the end token
  std::vector<std::uint8_t> mask;  // same length as ids, or empty: every token counts
};

struct Encoder {
  std::function<EncodedDocument(const Document&)> encode;  // must be safe to call from one thread
  std::string fingerprint;                                 // recorded in shards and the manifest
  std::uint64_t vocab_size = 0;
};

inline const std::vector<std::string> kSplits = {"train", "val", "test"};
enum class Split : std::uint8_t { train = 0, val = 1, test = 2, unused = 255 };

// Seeded split by document: of the n documents, round(data_fraction * n) are used (a seeded
// choice); of those, round(test_fraction * used) go to test and round(val_fraction * used) to val
// (at least one each when the fraction is > 0 and 3+ documents are used), the rest to train.
std::vector<Split> assign_splits(std::uint64_t documents, double val_fraction, double test_fraction,
                                 double data_fraction, std::uint64_t seed);

struct PrepareOptions {
  std::vector<std::string> inputs;
  CorpusOptions corpus;
  bool assistant_mask = false;  // write /loss_mask (data.loss_mask = "assistant")
  std::filesystem::path output_dir;
  std::uint64_t shard_tokens = 1 << 24;
  double val_fraction = 0.10, test_fraction = 0.01, data_fraction = 1.0;
  std::uint64_t seed = 0;
  std::string tokenizer_path;  // recorded in the manifest (informational)
};

struct SplitSummary {
  std::uint64_t documents = 0, tokens = 0, shards = 0;
};

struct PrepareResult {
  bool reused = false;
  std::string rebuild_reason;  // why existing shards were not reused ("" when none existed)
  std::uint64_t documents = 0, skipped_records = 0;
  std::uint64_t input_bytes = 0, rank_input_bytes = 0;  // all inputs; the documents this rank encoded
  double encode_seconds = 0, total_seconds = 0;         // this rank
  std::map<std::string, SplitSummary> splits;
};

// Collective over `comm`. Throws hermes::Error (on every rank, via CollectiveError when the
// failure was rank-local) naming the input file and line of a bad record.
PrepareResult prepare_dataset(const PrepareOptions& options, const Encoder& encoder, const dist::Communicator& comm);

// The manifest of a prepared folder; throws when missing or of another format version.
nlohmann::json read_manifest(const std::filesystem::path& dataset_dir);

}  // namespace hermes::data
