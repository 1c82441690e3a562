# Sanitizer and fuzzing builds. Included before any target is made, so the flags reach the
# library, the tests and the examples alike (a sanitizer must see both sides of every call).
#
#   NEEDLE_SANITIZE  comma list for -fsanitize=, e.g. "address,undefined" or "thread"; empty (the
#                    default) builds without sanitizers. UBSan findings abort (no recovery), so a
#                    finding fails the test that made it instead of scrolling past in its log.
#   NEEDLE_FUZZ      builds the libFuzzer targets of tests/fuzz (clang only): the readers they
#                    feed are compiled with coverage instrumentation (-fsanitize=fuzzer-no-link,
#                    CMakeLists.txt) so that libFuzzer is guided by the parsers' branches, and
#                    each target links libFuzzer. The test suites of such a build run as usual.
#
# The CUDA backend is never sanitized (nvcc knows none of these flags, and the CUDA runtime is
# not instrumented): a sanitizer build is a CPU-only build.
set(NEEDLE_SANITIZE "" CACHE STRING
  "Sanitizers for library, tests and examples, e.g. address,undefined or thread (empty: none)")
option(NEEDLE_FUZZ "Build the libFuzzer targets under tests/fuzz (needs clang)" OFF)

if(NEEDLE_FUZZ AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "NEEDLE_FUZZ=ON needs clang (libFuzzer): configure with "
                      "-DCMAKE_CXX_COMPILER=clang++, not ${CMAKE_CXX_COMPILER_ID}")
endif()
if(NEEDLE_FUZZ AND NOT NEEDLE_SANITIZE)
  # A fuzzer without a sanitizer finds only crashes; out-of-bounds reads go unseen.
  set(NEEDLE_SANITIZE "address,undefined")
endif()

if(NEEDLE_SANITIZE)
  if(NEEDLE_CUDA STREQUAL "ON")
    message(FATAL_ERROR "NEEDLE_SANITIZE=${NEEDLE_SANITIZE} needs NEEDLE_CUDA=OFF: the CUDA "
                        "backend cannot be sanitized")
  endif()
  set(NEEDLE_CUDA OFF)  # AUTO means OFF here
  message(STATUS "needle: sanitizers ${NEEDLE_SANITIZE} (CPU only)")
  set(sanitize_flags -fsanitize=${NEEDLE_SANITIZE} -fno-omit-frame-pointer)
  if(NEEDLE_SANITIZE MATCHES "undefined")
    list(APPEND sanitize_flags -fno-sanitize-recover=undefined)
  endif()
  add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:${sanitize_flags}>")
  add_link_options(-fsanitize=${NEEDLE_SANITIZE})
  # For the few tests that cannot run under a sanitizer (one asks for 4 TB and expects
  # std::bad_alloc, which ASan's operator new never throws); gcc's __SANITIZE_ADDRESS__ has no
  # clang counterpart.
  add_compile_definitions(NEEDLE_SANITIZED=1)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # The instrumentation keeps clang from vectorizing the `omp simd` loops, which it would
    # report as an error under -Werror; vectorization is not what this build tests.
    add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:-Wno-pass-failed>")
  endif()
  # -O1, as the sanitizers' documentation advises, and line numbers in reports at little cost,
  # unless the build type asks for debug info: UBSan at -O3 took 2.7x as long to compile
  # backends/cpu/elementwise.cc (614 s against 229 s) for tests that run faster but find nothing
  # more.
  if(NOT CMAKE_BUILD_TYPE MATCHES "Deb")
    add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:-O1;-g1>")
  endif()
endif()

# clang links the sanitizer (and libFuzzer) runtimes into executables only: a shared library
# built with them has undefined __asan_*/__ubsan_*/__sanitizer_cov_* symbols that the program
# loading it defines. The library's -Wl,--no-undefined must then be dropped (CMakeLists.txt).
if(NEEDLE_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  set(NEEDLE_LINK_NO_UNDEFINED OFF)
else()
  set(NEEDLE_LINK_NO_UNDEFINED ON)
endif()
