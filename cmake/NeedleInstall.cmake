# Installs what an outside project needs to use libneedle: the shared library, the public
# headers, a CMake package (needleConfig.cmake, its version file and needleTargets.cmake with
# the imported target needle::needle) and needle.pc for pkg-config. A consumer then writes only
#   find_package(needle REQUIRED)
#   target_link_libraries(app PRIVATE needle::needle)
# and gets the include path, C++20 and fmt (a PUBLIC dependency) from the imported target.
# OpenBLAS, OpenMP and zlib stay PRIVATE to the shared library, so consumers never see them; so
# do the CUDA libraries and cuDNN (cmake/NeedleCUDA.cmake) of a CUDA build.
include(CMakePackageConfigHelpers)

set(NEEDLE_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/needle"
    CACHE STRING "Where needleConfig.cmake is installed, relative to the prefix")

# The installed library finds its siblings next to itself, and anything it was linked against
# outside the system directories (an unpacked OpenBLAS_ROOT, /usr/local/cuda/lib64, a
# CUDNN_ROOT) keeps working without LD_LIBRARY_PATH. Installed executables, if any are added,
# look in ../lib.
set_target_properties(needle PROPERTIES
  INSTALL_RPATH "$ORIGIN;$ORIGIN/../${CMAKE_INSTALL_LIBDIR}"
  INSTALL_RPATH_USE_LINK_PATH ON)

install(TARGETS needle EXPORT needleTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/needle
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

install(EXPORT needleTargets
  NAMESPACE needle::
  FILE needleTargets.cmake
  DESTINATION ${NEEDLE_INSTALL_CMAKEDIR})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/needleConfig.cmake.in
  ${PROJECT_BINARY_DIR}/needleConfig.cmake
  INSTALL_DESTINATION ${NEEDLE_INSTALL_CMAKEDIR})
# 0.x releases promise nothing across minors in semver, but within this project a minor bump
# keeps the API listed in the README, so SameMajorVersion is the honest promise.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/needleConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/needleConfig.cmake
  ${PROJECT_BINARY_DIR}/needleConfigVersion.cmake
  DESTINATION ${NEEDLE_INSTALL_CMAKEDIR})

# pkg-config: the .pc file locates the prefix from its own folder (${pcfiledir}), so it stays
# right when `cmake --install --prefix` chooses a prefix other than the configured one.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  message(FATAL_ERROR "needle: CMAKE_INSTALL_LIBDIR must be relative to the prefix for needle.pc")
endif()
file(RELATIVE_PATH NEEDLE_PC_TO_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" NEEDLE_PC_TO_PREFIX "${NEEDLE_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/needle.pc.in ${PROJECT_BINARY_DIR}/needle.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/needle.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
