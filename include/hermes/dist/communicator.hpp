#pragma once
// MPI bootstrap and the handful of collectives hermes needs. Everything above dist/ talks to a
// Communicator, never to MPI directly, so stages and tests read as plain C++.
#include <mpi.h>

#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace hermes::dist {

// How a rank waits for a collective of the `Wait` overloads below: `patient` polls with 1 ms
// sleeps (long waits behind a busy rank), `yielding` polls and yields the core at every poll
// (short, frequent waits on a shared or oversubscribed machine).
enum class Wait { patient, yielding };

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
  // One plain value (an int, an enum, a struct of them) from root to every rank.
  template <class T>
  requires std::is_trivially_copyable_v<T>
  void broadcast_value(T& value, int root = 0) const {
    broadcast(std::as_writable_bytes(std::span<T, 1>(&value, 1)), root);
  }
  void allreduce_sum(std::span<float> values) const;
  void allreduce_sum(std::span<double> values) const;
  void allreduce_sum(std::span<std::uint64_t> values) const;
  double allreduce_max(double value) const;
  void allreduce_max(std::span<double> values) const;
  // Every rank's flag OR-ed: used to agree that a collective step failed somewhere.
  bool any(bool flag) const;

  // Collectives that wait the way `wait` says, for ranks that keep every core busy between them
  // (the tokenizer trainer): Open MPI's blocking calls spin and take the core a slower rank
  // needs. Counts and displacements are in elements and must fit an int.
  bool any(bool flag, Wait wait) const;
  void allreduce_sum(std::span<std::uint64_t> values, Wait wait) const;
  // Every rank's `mine` (the same size on all), in rank order.
  void allgather(std::span<const std::uint64_t> mine, std::span<std::uint64_t> all, Wait wait) const;
  // Rank p's `mine` lands at all[displs[p], displs[p] + sizes[p]).
  void allgatherv(std::span<const std::byte> mine, std::span<std::byte> all, const std::vector<int>& sizes,
                  const std::vector<int>& displs, Wait wait) const;
  // send[p] goes to rank p, whose receive[rank()] it becomes.
  void alltoall(std::span<const int> send, std::span<int> receive, Wait wait) const;
  void alltoallv(std::span<const char> send, const std::vector<int>& send_sizes, const std::vector<int>& send_displs,
                 std::span<char> receive, const std::vector<int>& receive_sizes, const std::vector<int>& receive_displs,
                 Wait wait) const;

  // Ends every rank of the job at once; used after a rank-local error has been printed.
  [[noreturn]] void abort(int exit_code) const;

 private:
  MPI_Comm comm_ = MPI_COMM_WORLD;
  int rank_ = 0, size_ = 1, local_rank_ = 0, local_size_ = 1;
};

}  // namespace hermes::dist
