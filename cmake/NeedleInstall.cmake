# Installs the library, the headers and the CMake package config (see issue: packaging).
install(TARGETS needle EXPORT needleTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/needle DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
