#pragma once
// MPI bootstrap and the handful of collectives hermes needs. Everything above dist/ talks to a
// Communicator, never to MPI directly, so stages and tests read as plain C++.
#include <mpi.h>

#include <cstdint>
#include <span>
#include <string>

namespace hermes::dist {

// Throws hermes::Error naming the call site and MPI's own message when an MPI call fails.
void check_mpi(int code, const char* call, const char* file, int line);
#define HERMES_MPI_CHECK(call) ::hermes::dist::check_mpi((call), #call, __FILE__, __LINE__)

// Owns MPI_Init/MPI_Finalize for the process. One per process, in main() or a test main().
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

class Communicator {
 public:
  // The world communicator, plus the node-local split (MPI_Comm_split_type SHARED) that maps
  // local ranks to GPUs.
  static Communicator world();
  // This process alone (MPI_COMM_SELF): a 1-rank reference inside a multi-rank job (tests).
  static Communicator self();

  int rank() const { return rank_; }
  int size() const { return size_; }
  int local_rank() const { return local_rank_; }
  int local_size() const { return local_size_; }
  bool is_root() const { return rank_ == 0; }
  MPI_Comm handle() const { return comm_; }

  void barrier() const;
  void broadcast(std::string& text, int root = 0) const;
  void broadcast(std::span<std::byte> bytes, int root = 0) const;
  void allreduce_sum(std::span<float> values) const;
  void allreduce_sum(std::span<double> values) const;
  void allreduce_sum(std::span<std::uint64_t> values) const;
  double allreduce_max(double value) const;
  // Every rank's flag OR-ed: used to agree that a collective step failed somewhere.
  bool any(bool flag) const;

  // Ends every rank of the job at once; used after a rank-local error has been printed.
  [[noreturn]] void abort(int exit_code) const;

 private:
  MPI_Comm comm_ = MPI_COMM_WORLD;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
};

}  // namespace hermes::dist
