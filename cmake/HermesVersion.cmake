# Records the git revision in a generated header at every build (not only at configure time), so
# `hermes --version` and every run log name the exact source a result came from.
add_custom_target(hermes_version ALL
  COMMAND "${CMAKE_COMMAND}" -DSOURCE_DIR="${CMAKE_SOURCE_DIR}" -DVERSION="${PROJECT_VERSION}"
          -DOUTPUT="${CMAKE_BINARY_DIR}/generated/hermes/version.hpp"
          -P "${CMAKE_SOURCE_DIR}/cmake/WriteVersion.cmake"
  BYPRODUCTS "${CMAKE_BINARY_DIR}/generated/hermes/version.hpp"
  COMMENT "Recording the git revision")
