#include "hermes/dist/communicator.hpp"

#include <climits>
#include <cstdlib>

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
