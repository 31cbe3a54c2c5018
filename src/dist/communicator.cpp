#include "hermes/dist/communicator.hpp"

#include <chrono>
#include <climits>
#include <cstdlib>
#include <thread>

#include "hermes/core/error.hpp"

namespace hermes::dist {

void check_mpi(int code, const char* call, const char* file, int line) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(fmt::format("MPI call {} failed at {}:{}: {}", call, file, line,
                          std::string(text, static_cast<std::size_t>(length))));
}

MpiSession::MpiSession(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    // FUNNELED: only the main thread calls MPI; worker threads never do.
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  }
  // Return codes instead of aborting inside MPI, so failures become hermes::Error messages.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Communicator Communicator::world() {
  Communicator c;
  c.comm_ = MPI_COMM_WORLD;
  HERMES_MPI_CHECK(MPI_Comm_rank(c.comm_, &c.rank_));
  HERMES_MPI_CHECK(MPI_Comm_size(c.comm_, &c.size_));
  MPI_Comm local;
  HERMES_MPI_CHECK(MPI_Comm_split_type(c.comm_, MPI_COMM_TYPE_SHARED, c.rank_, MPI_INFO_NULL, &local));
  HERMES_MPI_CHECK(MPI_Comm_rank(local, &c.local_rank_));
  HERMES_MPI_CHECK(MPI_Comm_size(local, &c.local_size_));
  MPI_Comm_free(&local);
  return c;
}

Communicator Communicator::self() {
  Communicator c;
  c.comm_ = MPI_COMM_SELF;
  return c;  // rank 0 of 1, local rank 0 of 1
}

void Communicator::barrier() const { HERMES_MPI_CHECK(MPI_Barrier(comm_)); }

void Communicator::broadcast(std::string& text, int root) const {
  unsigned long long length = text.size();
  HERMES_MPI_CHECK(MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG_LONG, root, comm_));
  text.resize(length);
  broadcast(std::as_writable_bytes(std::span<char>(text.data(), text.size())), root);
}

void Communicator::broadcast(std::span<std::byte> bytes, int root) const {
  // MPI counts are int: send large buffers in pieces.
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    const int n = static_cast<int>(std::min<std::size_t>(bytes.size() - offset, INT_MAX));
    HERMES_MPI_CHECK(MPI_Bcast(bytes.data() + offset, n, MPI_BYTE, root, comm_));
    offset += static_cast<std::size_t>(n);
  }
}

namespace {
template <typename T>
void allreduce_in_place(std::span<T> values, MPI_Datatype type, MPI_Op op, MPI_Comm comm) {
  std::size_t offset = 0;
  while (offset < values.size()) {
    const int n = static_cast<int>(std::min<std::size_t>(values.size() - offset, INT_MAX));
    HERMES_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, values.data() + offset, n, type, op, comm));
    offset += static_cast<std::size_t>(n);
  }
}
}  // namespace

void Communicator::allreduce_sum(std::span<float> v) const { allreduce_in_place(v, MPI_FLOAT, MPI_SUM, comm_); }
void Communicator::allreduce_sum(std::span<double> v) const { allreduce_in_place(v, MPI_DOUBLE, MPI_SUM, comm_); }
void Communicator::allreduce_sum(std::span<std::uint64_t> v) const {
  allreduce_in_place(v, MPI_UINT64_T, MPI_SUM, comm_);
}

double Communicator::allreduce_max(double value) const {
  HERMES_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_DOUBLE, MPI_MAX, comm_));
  return value;
}

void Communicator::allreduce_max(std::span<double> v) const { allreduce_in_place(v, MPI_DOUBLE, MPI_MAX, comm_); }

namespace {
void complete(MPI_Request& request, Wait wait) {
  int done = 0;
  while (true) {
    HERMES_MPI_CHECK(MPI_Test(&request, &done, MPI_STATUS_IGNORE));
    if (done) return;
    if (wait == Wait::patient)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    else
      std::this_thread::yield();
  }
}

int count_of(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX))
    throw Error(fmt::format("a collective of {} elements is over MPI's int count", n));
  return static_cast<int>(n);
}
}  // namespace

bool Communicator::any(bool flag, Wait wait) const {
  int local = flag ? 1 : 0, global = 0;
  MPI_Request r;
  HERMES_MPI_CHECK(MPI_Iallreduce(&local, &global, 1, MPI_INT, MPI_LOR, comm_, &r));
  complete(r, wait);
  return global != 0;
}

void Communicator::allreduce_sum(std::span<std::uint64_t> values, Wait wait) const {
  MPI_Request r;
  HERMES_MPI_CHECK(
      MPI_Iallreduce(MPI_IN_PLACE, values.data(), count_of(values.size()), MPI_UINT64_T, MPI_SUM, comm_, &r));
  complete(r, wait);
}

void Communicator::allgather(std::span<const std::uint64_t> mine, std::span<std::uint64_t> all, Wait wait) const {
  HERMES_ASSERT(all.size() == mine.size() * static_cast<std::size_t>(size_));
  MPI_Request r;
  HERMES_MPI_CHECK(MPI_Iallgather(mine.data(), count_of(mine.size()), MPI_UINT64_T, all.data(), count_of(mine.size()),
                                  MPI_UINT64_T, comm_, &r));
  complete(r, wait);
}

void Communicator::allgatherv(std::span<const std::byte> mine, std::span<std::byte> all, const std::vector<int>& sizes,
                              const std::vector<int>& displs, Wait wait) const {
  MPI_Request r;
  HERMES_MPI_CHECK(MPI_Iallgatherv(mine.data(), count_of(mine.size()), MPI_BYTE, all.data(), sizes.data(),
                                   displs.data(), MPI_BYTE, comm_, &r));
  complete(r, wait);
}

void Communicator::alltoall(std::span<const int> send, std::span<int> receive, Wait wait) const {
  HERMES_ASSERT(send.size() == static_cast<std::size_t>(size_) && receive.size() == send.size());
  MPI_Request r;
  HERMES_MPI_CHECK(MPI_Ialltoall(send.data(), 1, MPI_INT, receive.data(), 1, MPI_INT, comm_, &r));
  complete(r, wait);
}

void Communicator::alltoallv(std::span<const char> send, const std::vector<int>& send_sizes,
                             const std::vector<int>& send_displs, std::span<char> receive,
                             const std::vector<int>& receive_sizes, const std::vector<int>& receive_displs,
                             Wait wait) const {
  MPI_Request r;
  HERMES_MPI_CHECK(MPI_Ialltoallv(send.data(), send_sizes.data(), send_displs.data(), MPI_CHAR, receive.data(),
                                  receive_sizes.data(), receive_displs.data(), MPI_CHAR, comm_, &r));
  complete(r, wait);
}

bool Communicator::any(bool flag) const {
  int v = flag ? 1 : 0;
  HERMES_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_LOR, comm_));
  return v != 0;
}

void Communicator::abort(int exit_code) const {
  MPI_Abort(comm_, exit_code);
  std::_Exit(exit_code);  // MPI_Abort should not return; make sure of it.
}

}  // namespace hermes::dist
