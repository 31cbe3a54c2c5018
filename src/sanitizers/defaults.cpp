// Built into every executable of a sanitizer build (HERMES_ENABLE_ASAN): the runtime options and
// leak suppressions live in the binaries, so `hermes`, the tests and GoogleTest's test discovery
// behave the same without any environment. ASAN_OPTIONS/LSAN_OPTIONS/UBSAN_OPTIONS still override.
//
// Leaks are reported, except allocations made inside the MPI stack and its plugins, which Open
// MPI keeps until exit by design (MPI_Finalize does not free them). A leak whose allocation stack
// passes through one of these libraries is suppressed; hermes's own allocations are not.
#include <dlfcn.h>

#include <cstdlib>

namespace {
// Open MPI's MPI_Init has hwloc load its OpenCL and GL plugins, which bring libOpenCL, libX11 and
// NVIDIA's NV-CONTROL library into the process. On some machines LeakSanitizer's scan of their
// dynamic thread-local storage then crashes ("Tracer caught signal 11", "DTLS ... at 0xc37") and
// no leak report is made at all. hermes never uses hwloc's GPU discovery, so sanitizer builds
// leave those two plugins unloaded, unless the environment already names plugins to skip.
__attribute__((constructor)) void skip_hwloc_gpu_plugins() {
  setenv("HWLOC_PLUGINS_BLACKLIST", "hwloc_opencl,hwloc_gl", 0);
}
}  // namespace

extern "C" {

// Open MPI unloads its plugins in MPI_Finalize, before LeakSanitizer looks at the heap; their
// allocations then come from an "<unknown module>" that no suppression can name. Keeping every
// shared object loaded (this definition interposes libc's for the whole process) lets the
// suppressions below match them. Sanitizer builds only.
int dlclose(void*) { return 0; }

const char* __asan_default_options() { return "detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"; }

// The list of suppressions used is noise after every run (and names the MPI libraries).
const char* __lsan_default_options() { return "print_suppressions=0"; }

const char* __ubsan_default_options() { return "print_stacktrace=1:halt_on_error=1"; }

const char* __lsan_default_suppressions() {
  return "leak:libmpi.so\n"
         "leak:libopen-pal.so\n"
         "leak:libopen-rte.so\n"
         "leak:libpmix.so\n"
         "leak:libhwloc.so\n"
         "leak:libevent\n"
         "leak:/openmpi/lib/\n"  // Open MPI's plugins (mca_*.so)
         "leak:libucs.so\n"
         "leak:libucp.so\n"
         // HDF5 1.10 loses small blocks on some error paths while refusing a damaged file (found
         // by tests/fuzz); hermes closes every id it opens (core/hdf5.hpp's Handle).
         "leak:libhdf5\n"
         // Open MPI's opal_asprintf: the fast unwinder stops inside glibc (no frame pointers),
         // so the MPI frames above it are lost. hermes formats with fmt, never with asprintf.
         "leak:__vasprintf_internal\n";
}

}  // extern "C"
