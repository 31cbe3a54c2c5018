// hermes as a C++ library: the tokenizer, the shard loader, the model and the trainer of a run
// directory that `hermes run` prepared (its tokenizer.json and data/), driven by a program of
// your own. It encodes a sentence, reads one batch, then trains a small SwiGLU model for a few
// steps on the shards and prints the losses. Run it under mpirun with any number of ranks.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hermes/backend/host/runtime.hpp"
#include "hermes/core/files.hpp"
#include "hermes/core/log.hpp"
#include "hermes/data/loader.hpp"
#include "hermes/deck/parser.hpp"
#include "hermes/dist/communicator.hpp"
#include "hermes/tokenizer/tokenizer.hpp"
#include "hermes/train/loader_source.hpp"
#include "hermes/train/trainer.hpp"

namespace {

int run(const std::filesystem::path& run_dir, const hermes::dist::Communicator& comm) {
  using namespace hermes;
  const auto tokenizer_path = run_dir / "tokenizer.json";
  const std::string tokenizer_text = read_file(tokenizer_path, "tokenizer file", "give a finished run's folder");
  const auto tokenizer = tokenizer::Tokenizer::from_json_text(tokenizer_text, tokenizer_path.string());
  const auto ids = tokenizer.encode("Hello from a program of my own.");
  if (comm.is_root())
    std::printf("tokenizer: %zu tokens, the sentence is %zu ids\n", tokenizer.vocab_size(), ids.size());

  // The loader alone: this rank's first batch of the train split.
  data::LoaderOptions options;
  options.dataset_dir = run_dir / "data";
  options.batch = 2;
  options.seq_len = 64;
  options.rank = comm.rank();
  options.world = comm.size();
  options.tokenizer_fingerprint = tokenizer.fingerprint();
  data::Loader loader(options);
  data::Batch batch;
  loader.next(batch);
  if (comm.is_root())
    std::printf("loader: %lld windows per epoch, first input id %d\n",
                static_cast<long long>(loader.batches_per_epoch()), static_cast<int>(batch.inputs.at(0)));

  // The trainer, configured the way a deck configures it (every key: `hermes deck`).
  const std::string deck_text = "[run]\nname = \"library\"\nstages = [\"pretrain\"]\noutput_dir = \"" +
                                run_dir.string() +
                                "\"\n"
                                "[data]\noutput_dir = \"" +
                                (run_dir / "data").string() +
                                "\"\n"
                                "[model]\npreset = \"nano\"\nffn = \"swiglu\"\nbias = false\n"
                                "[train]\nbatch_size = 2\nseq_len = 64\nmax_steps = 30\nlog_interval = 10\n"
                                "[optim]\nwarmup_steps = 3\n"
                                "[eval]\ninterval = 0\n[checkpoint]\ninterval = 0\n";
  const deck::Deck deck = deck::parse_deck(deck_text, "train_on_shards.cpp");
  const auto model = deck::resolve_model(deck.model, static_cast<std::int64_t>(tokenizer.vocab_size()));
  const auto fingerprint = tokenizer.fingerprint();
  train::TrainerInputs inputs{
      deck,
      comm,
      deck.run_dir(),
      model,
      train::open_split(deck, comm, "train", 64, fingerprint),
      [&](const std::string& split) { return train::open_split(deck, comm, split, 64, fingerprint); },
      tokenizer_text,
      fingerprint};
  train::Trainer trainer(std::move(inputs));
  const auto summary = trainer.run();
  const auto& history = trainer.history();
  if (comm.is_root() && !history.empty())
    std::printf("trained %lld steps: loss %.4f at the first, %.4f at the last\n", static_cast<long long>(summary.steps),
                history.front().loss, history.back().loss);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  hermes::dist::MpiSession mpi(&argc, &argv);
  const auto comm = hermes::dist::Communicator::world();
  hermes::backend::host::Runtime runtime(argc, argv, comm.local_size());
  hermes::log::init(comm.rank(), comm.size());  // rank 0 speaks for all
  if (argc != 2) {
    if (comm.is_root())
      std::fprintf(stderr, "usage: train_on_shards RUN_DIR (a run directory `hermes run` prepared)\n");
    return 2;
  }
  try {
    return run(argv[1], comm);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_on_shards: %s\n", e.what());
    return 1;
  }
}
