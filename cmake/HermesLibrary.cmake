# hermes_library(<name> AREAS <area>... [SOURCES <file>...] [PUBLIC <dep>...] [PRIVATE <dep>...]
#                [HEADERS_ONLY])
#
# Adds the static library hermes_<name> from the areas it owns. An area is a folder (`core`,
# `backend/host`: src/<area>/*.cpp and include/hermes/<area>/) or a single file of one
# (`backend/select.cpp`, `backend/ops.hpp`). The library's headers are reachable only through
# its own include root, build/include/<name>/hermes/<area> (links to the source tree), so a
# file sees the headers of the libraries it links and no others: an upward #include fails to
# compile instead of quietly coupling two layers. HEADERS_ONLY makes an interface library of the
# areas' headers and compiles nothing.
function(hermes_library name)
  cmake_parse_arguments(ARG "HEADERS_ONLY" "" "AREAS;SOURCES;PUBLIC;PRIVATE" ${ARGN})
  set(target hermes_${name})
  set(root "${CMAKE_BINARY_DIR}/include/${name}")
  set(sources ${ARG_SOURCES})
  foreach(area IN LISTS ARG_AREAS)
    set(src "${PROJECT_SOURCE_DIR}/src/${area}")
    set(inc "${PROJECT_SOURCE_DIR}/include/hermes/${area}")
    if(ARG_HEADERS_ONLY)
    elseif(IS_DIRECTORY "${src}")
      file(GLOB area_sources CONFIGURE_DEPENDS "${src}/*.cpp")
      list(APPEND sources ${area_sources})
    elseif(EXISTS "${src}")
      list(APPEND sources "${src}")
    endif()
    if(EXISTS "${inc}")
      get_filename_component(parent "${root}/hermes/${area}" DIRECTORY)
      file(MAKE_DIRECTORY "${parent}")
      file(CREATE_LINK "${inc}" "${root}/hermes/${area}" SYMBOLIC)
    endif()
  endforeach()
  if(ARG_HEADERS_ONLY)
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE "${root}")
    return()
  endif()
  if(NOT sources)
    message(FATAL_ERROR "hermes_library(${name}): no sources in ${ARG_AREAS}")
  endif()
  add_library(${target} STATIC ${sources})
  add_library(hermes::${name} ALIAS ${target})
  target_include_directories(${target} PUBLIC "$<BUILD_INTERFACE:${root}>" "$<INSTALL_INTERFACE:include>")
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE})
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  set_property(GLOBAL APPEND PROPERTY HERMES_LIBRARIES ${target})
endfunction()
