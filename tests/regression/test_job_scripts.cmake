# The SLURM scripts parse, and the plot/throughput helpers work on small CSVs.
include("${CMAKE_CURRENT_LIST_DIR}/expect.cmake")
fresh_work_dir()
file(GLOB scripts "${SOURCE_DIR}/jobs/slurm/*.sbatch" "${SOURCE_DIR}/jobs/slurm/*.sh")
foreach(s IN LISTS scripts)
  expect_run(syntax EXIT 0 COMMAND bash -n "${s}")
endforeach()
set(fx "${SOURCE_DIR}/tests/fixtures/jobs")
# Throughput = median of the rows after the first fifth (rows 2..5: 300, 100, 200, 400 -> 250).
expect_run(throughput EXIT 0 CONTAINS "250.0" COMMAND /usr/bin/python3 "${SOURCE_DIR}/jobs/plot/metrics_throughput.py" "${fx}/metrics.csv")
expect_run(plot_scaling EXIT 0 COMMAND /usr/bin/python3 "${SOURCE_DIR}/jobs/plot/plot_scaling.py" "${fx}/scaling.csv" scaling.png)
expect_run(plot_metrics EXIT 0 COMMAND /usr/bin/python3 "${SOURCE_DIR}/jobs/plot/plot_metrics.py" "${fx}/metrics.csv" curves.png)
foreach(png scaling.png curves.png)
  file(SIZE "${WORK_DIR}/${png}" size)
  if(size LESS 10000)
    message(FATAL_ERROR "${png} is only ${size} bytes")
  endif()
endforeach()
# A missing deck argument is refused with usage, before anything is launched.
expect_run(usage EXIT 2 CONTAINS "usage:" ENV HERMES_BIN=${HERMES} SLURM_SUBMIT_DIR=${SOURCE_DIR}
           COMMAND bash "${SOURCE_DIR}/jobs/slurm/single_node.sbatch")
