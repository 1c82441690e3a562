# Decides whether to build the CUDA backend (NEEDLE_CUDA = AUTO | ON | OFF) and, when it is
# built, adds backends/cuda/*.cc and kernels/*.cu to the `needle` target. cuDNN, which the CUDA
# backend's convolution needs, is optional on top of that (NEEDLE_CUDNN = AUTO | ON | OFF):
# without it the library still builds and conv2d on a GPU throws a DeviceError saying why.
set(NEEDLE_CUDNN AUTO CACHE STRING
  "Use cuDNN for convolution in the CUDA backend: AUTO (when found; hint with CUDNN_ROOT), ON, OFF")
set_property(CACHE NEEDLE_CUDNN PROPERTY STRINGS AUTO ON OFF)
set(NEEDLE_WITH_CUDA OFF)
set(NEEDLE_WITH_CUDNN OFF)
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
if(NEEDLE_CUDNN STREQUAL "ON" AND NOT NEEDLE_WITH_CUDA)
  message(FATAL_ERROR "NEEDLE_CUDNN=ON needs the CUDA backend, which this configuration does not "
                      "build (NEEDLE_CUDA=${NEEDLE_CUDA})")
endif()

if(NEEDLE_WITH_CUDA)
  # One architecture keeps CI builds fast; sm_90 (H100/H200) unless the caller picks another
  # (tests/gpu/run.sh passes the compute capability of the GPU it finds).
  # check_language(CUDA) may leave an empty cache entry behind, which a plain set(CACHE) would
  # not replace: force the default then, and set the normal variable too.
  if(NOT CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 90 CACHE STRING "CUDA architectures to build for" FORCE)
    set(CMAKE_CUDA_ARCHITECTURES 90)
  endif()
  enable_language(CUDA)
  # `needle` carries the public cxx_std_20 feature, which CMake also demands of the CUDA objects
  # linked into it. CMake < 3.26 does not know nvcc's C++20 flag although nvcc >= 12 has it:
  # tell it. (The kernels themselves are C++17-clean: they include only kernels/*.cuh,
  # src/core/philox.h, backends/common/scalar_ops.h and the dependency-free needle/op_codes.h.)
  if(NOT DEFINED CMAKE_CUDA20_STANDARD_COMPILE_OPTION AND CMAKE_CUDA_COMPILER_ID STREQUAL "NVIDIA"
     AND CMAKE_CUDA_COMPILER_VERSION VERSION_GREATER_EQUAL 12.0)
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    list(APPEND CMAKE_CUDA_COMPILE_FEATURES cuda_std_20)
  endif()
  if(DEFINED CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
    set(NEEDLE_CUDA_STANDARD 20)
  else()
    set(NEEDLE_CUDA_STANDARD 17)
  endif()
  message(STATUS "needle: CUDA architectures ${CMAKE_CUDA_ARCHITECTURES}, CUDA C++${NEEDLE_CUDA_STANDARD}")

  # The kernels are an object library of their own so that the C++-only options of `needle`
  # (warning flags, -march=native) never reach nvcc.
  file(GLOB NEEDLE_CUDA_KERNELS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/kernels/*.cu)
  add_library(needle_cuda_kernels OBJECT ${NEEDLE_CUDA_KERNELS})
  set_target_properties(needle_cuda_kernels PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    CUDA_STANDARD ${NEEDLE_CUDA_STANDARD}
    CUDA_STANDARD_REQUIRED ON
    CUDA_EXTENSIONS OFF)
  target_include_directories(needle_cuda_kernels PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}
                             ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(needle_cuda_kernels PRIVATE CUDA::cudart)
  # -lineinfo lets Nsight Compute map SASS back to source at no run-time cost.
  target_compile_options(needle_cuda_kernels PRIVATE
    -lineinfo $<$<BOOL:${NEEDLE_WARNINGS_AS_ERRORS}>:-Werror=all-warnings>)

  file(GLOB NEEDLE_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/backends/cuda/*.cc)
  target_sources(needle PRIVATE ${NEEDLE_CUDA_SOURCES} $<TARGET_OBJECTS:needle_cuda_kernels>)
  # `needle` was created before CUDA was enabled, so its CUDA_ARCHITECTURES was initialised
  # empty (CMake then refuses to generate): give it the architectures chosen above.
  set_target_properties(needle PROPERTIES CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}")
  target_compile_definitions(needle PRIVATE NEEDLE_WITH_CUDA=1)
  target_link_libraries(needle PRIVATE CUDA::cudart CUDA::cublas CUDA::curand)

  # cuDNN stays PRIVATE to the shared library, like the CUDA libraries above: consumers of an
  # installed needle neither find nor link it (needleConfig.cmake does not ask for it), and the
  # install RPATH (NeedleInstall.cmake, INSTALL_RPATH_USE_LINK_PATH) keeps its folder.
  if(NOT NEEDLE_CUDNN STREQUAL "OFF")
    find_package(CUDNN)
    if(CUDNN_FOUND)
      set(NEEDLE_WITH_CUDNN ON)
    elseif(NEEDLE_CUDNN STREQUAL "ON")
      message(FATAL_ERROR "NEEDLE_CUDNN=ON but cuDNN (cudnn.h and libcudnn) was not found; set "
                          "CUDNN_ROOT to its install prefix")
    endif()
  endif()
  if(NEEDLE_WITH_CUDNN)
    message(STATUS "needle: cuDNN ${CUDNN_VERSION} (${CUDNN_LIBRARY})")
    target_compile_definitions(needle PRIVATE NEEDLE_WITH_CUDNN=1)
    target_link_libraries(needle PRIVATE CUDNN::cudnn)
  else()
    message(STATUS "needle: cuDNN OFF (NEEDLE_CUDNN=${NEEDLE_CUDNN}): conv2d on CUDA will throw")
    # For the error message of backends/cuda/conv2d.cc.
    target_compile_definitions(needle PRIVATE NEEDLE_CUDNN_SETTING="${NEEDLE_CUDNN}")
  endif()
endif()
