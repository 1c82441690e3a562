# Finds OpenBLAS and its CBLAS header, preferring the OpenMP build (Debian's
# libopenblas-openmp-dev) so that BLAS and needle's kernels share one thread pool.
# Defines OpenBLAS::OpenBLAS, OpenBLAS_FOUND, OpenBLAS_INCLUDE_DIR, OpenBLAS_LIBRARY.
# OpenBLAS_ROOT may point at an unpacked prefix (the GPU machine script uses that).
set(_openblas_hints ${OpenBLAS_ROOT} $ENV{OpenBLAS_ROOT})
find_path(OpenBLAS_INCLUDE_DIR cblas.h
  HINTS ${_openblas_hints}
  PATH_SUFFIXES include/x86_64-linux-gnu/openblas-openmp include/aarch64-linux-gnu/openblas-openmp
                include/openblas include
  PATHS /usr/include/x86_64-linux-gnu/openblas-openmp /usr/include/aarch64-linux-gnu/openblas-openmp)
find_library(OpenBLAS_LIBRARY NAMES openblas
  HINTS ${_openblas_hints}
  PATH_SUFFIXES lib/x86_64-linux-gnu/openblas-openmp lib/aarch64-linux-gnu/openblas-openmp lib64 lib
  PATHS /usr/lib/x86_64-linux-gnu/openblas-openmp /usr/lib/aarch64-linux-gnu/openblas-openmp)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(OpenBLAS REQUIRED_VARS OpenBLAS_LIBRARY OpenBLAS_INCLUDE_DIR)
if(OpenBLAS_FOUND AND NOT TARGET OpenBLAS::OpenBLAS)
  add_library(OpenBLAS::OpenBLAS UNKNOWN IMPORTED)
  set_target_properties(OpenBLAS::OpenBLAS PROPERTIES
    IMPORTED_LOCATION "${OpenBLAS_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${OpenBLAS_INCLUDE_DIR}")
endif()
mark_as_advanced(OpenBLAS_INCLUDE_DIR OpenBLAS_LIBRARY)
