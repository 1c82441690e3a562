# Finds NVIDIA cuDNN: cudnn.h and libcudnn.
#
# Hints, searched in this order before the system paths:
#   CUDNN_ROOT, CUDNN_ROOT_DIR (CMake or environment variables): a cuDNN install prefix, e.g. an
#     unpacked tarball or the nvidia/cudnn folder of the nvidia-cudnn-cu* pip wheel;
#   the CUDA toolkit (CUDAToolkit_* from find_package(CUDAToolkit), or CUDA_PATH / CUDA_HOME),
#     where the toolkit's own cuDNN packages and many containers put it.
# The library is found as libcudnn.so or, where only the runtime is installed (the pip wheel),
# as libcudnn.so.<major>.
#
# Defines CUDNN_FOUND, CUDNN_VERSION (major.minor.patch), CUDNN_INCLUDE_DIR, CUDNN_LIBRARY and
# the imported target CUDNN::cudnn (include path, library and CUDA::cudart when that exists).
include(FindPackageHandleStandardArgs)

set(_cudnn_hints)
foreach(_var CUDNN_ROOT CUDNN_ROOT_DIR)
  if(DEFINED ${_var} AND NOT "${${_var}}" STREQUAL "")
    list(APPEND _cudnn_hints "${${_var}}")
  endif()
  if(DEFINED ENV{${_var}} AND NOT "$ENV{${_var}}" STREQUAL "")
    list(APPEND _cudnn_hints "$ENV{${_var}}")
  endif()
endforeach()
foreach(_var CUDAToolkit_LIBRARY_ROOT CUDAToolkit_TARGET_DIR)
  if(DEFINED ${_var} AND NOT "${${_var}}" STREQUAL "")
    list(APPEND _cudnn_hints "${${_var}}")
  endif()
endforeach()
if(CUDAToolkit_BIN_DIR)
  get_filename_component(_cudnn_toolkit "${CUDAToolkit_BIN_DIR}" DIRECTORY)
  list(APPEND _cudnn_hints "${_cudnn_toolkit}")
endif()
foreach(_var CUDA_PATH CUDA_HOME)
  if(DEFINED ENV{${_var}} AND NOT "$ENV{${_var}}" STREQUAL "")
    list(APPEND _cudnn_hints "$ENV{${_var}}")
  endif()
endforeach()
list(REMOVE_DUPLICATES _cudnn_hints)

find_path(CUDNN_INCLUDE_DIR cudnn.h
  HINTS ${_cudnn_hints} ${CUDAToolkit_INCLUDE_DIRS}
  PATH_SUFFIXES include include/${CMAKE_LIBRARY_ARCHITECTURE}
  DOC "Folder holding cudnn.h")

# Major versions newest first, for runtime-only installs without the unversioned link.
find_library(CUDNN_LIBRARY
  NAMES cudnn libcudnn.so.10 libcudnn.so.9 libcudnn.so.8 NAMES_PER_DIR
  HINTS ${_cudnn_hints} ${CUDAToolkit_LIBRARY_DIR}
  PATH_SUFFIXES lib64 lib lib/x64 lib/${CMAKE_LIBRARY_ARCHITECTURE}
  DOC "The cuDNN library (libcudnn.so)")

# cuDNN >= 8 keeps the version in cudnn_version.h, older releases in cudnn.h.
set(CUDNN_VERSION "")
if(CUDNN_INCLUDE_DIR)
  foreach(_header cudnn_version.h cudnn.h)
    if(EXISTS "${CUDNN_INCLUDE_DIR}/${_header}")
      file(STRINGS "${CUDNN_INCLUDE_DIR}/${_header}" _cudnn_defines
        REGEX "^#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) +[0-9]+")
      if(_cudnn_defines)
        string(REGEX REPLACE ".*#define CUDNN_MAJOR +([0-9]+).*" "\\1" _major "${_cudnn_defines}")
        string(REGEX REPLACE ".*#define CUDNN_MINOR +([0-9]+).*" "\\1" _minor "${_cudnn_defines}")
        string(REGEX REPLACE ".*#define CUDNN_PATCHLEVEL +([0-9]+).*" "\\1" _patch
          "${_cudnn_defines}")
        set(CUDNN_VERSION "${_major}.${_minor}.${_patch}")
        break()
      endif()
    endif()
  endforeach()
endif()

find_package_handle_standard_args(CUDNN
  REQUIRED_VARS CUDNN_LIBRARY CUDNN_INCLUDE_DIR
  VERSION_VAR CUDNN_VERSION)
mark_as_advanced(CUDNN_INCLUDE_DIR CUDNN_LIBRARY)

if(CUDNN_FOUND AND NOT TARGET CUDNN::cudnn)
  add_library(CUDNN::cudnn UNKNOWN IMPORTED)
  set_target_properties(CUDNN::cudnn PROPERTIES
    IMPORTED_LOCATION "${CUDNN_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CUDNN_INCLUDE_DIR}")
  # cudnn.h includes the CUDA runtime headers.
  if(TARGET CUDA::cudart)
    set_property(TARGET CUDNN::cudnn APPEND PROPERTY INTERFACE_LINK_LIBRARIES CUDA::cudart)
  endif()
endif()

unset(_cudnn_hints)
unset(_cudnn_toolkit)
unset(_cudnn_defines)
unset(_major)
unset(_minor)
unset(_patch)
