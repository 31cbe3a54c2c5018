# A stop never loses work outside SLURM: SIGTERM through jobs/mpirun.sh (to its pid and to its
# process group), a SIGTERM before the first step, and kill -9 of every rank; each resumed run
# equals an uninterrupted one bit for bit (tests/regression/stop_signals.sh).
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
expect_run(stops EXIT 0 CONTAINS "PASSED"
           COMMAND bash "${CMAKE_CURRENT_LIST_DIR}/stop_signals.sh" "${HERMES}" "${MPIEXEC}" "${SOURCE_DIR}")
