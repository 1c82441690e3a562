# Decides whether to build the CUDA backend (NEEDLE_CUDA = AUTO | ON | OFF) and, when it is
# built, adds backends/cuda/*.cc and kernels/*.cu to the `needle` target.
set(NEEDLE_WITH_CUDA OFF)
if(NOT NEEDLE_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  find_package(CUDAToolkit QUIET)
  if(CMAKE_CUDA_COMPILER AND CUDAToolkit_FOUND AND TARGET CUDA::cublas)
    set(NEEDLE_WITH_CUDA ON)
  elseif(NEEDLE_CUDA STREQUAL "ON")
    message(FATAL_ERROR "NEEDLE_CUDA=ON but nvcc or cuBLAS was not found")
  endif()
endif()
message(STATUS "needle: CUDA backend ${NEEDLE_WITH_CUDA}")
