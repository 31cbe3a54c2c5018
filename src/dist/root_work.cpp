#include "hermes/dist/root_work.hpp"

#include <filesystem>
#include <string>

#include "hermes/core/error.hpp"

namespace hermes::dist {

void on_root_collectively(const Communicator& comm, const std::function<void()>& work) {
  std::string message;
  int ok = 1, code = kExitBadInput;
  if (comm.is_root()) {
    try {
      work();
    } catch (const Error& e) {
      ok = 0;
      message = e.what();
      code = e.exit_code();
    } catch (const std::filesystem::filesystem_error& e) {
      ok = 0;
      message = e.what();
      code = kExitEnvironment;
    }
  }
  HERMES_MPI_CHECK(MPI_Bcast(&ok, 1, MPI_INT, 0, comm.handle()));
  if (ok) return;
  comm.broadcast(message);
  HERMES_MPI_CHECK(MPI_Bcast(&code, 1, MPI_INT, 0, comm.handle()));
  throw CollectiveError(message, code);
}

}  // namespace hermes::dist
