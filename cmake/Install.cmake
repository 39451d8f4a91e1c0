# The CMake package applications link:
#   find_package(xatm REQUIRED)
#   target_link_libraries(app PRIVATE xatm::xatm)
include(CMakePackageConfigHelpers)

# In link order, a library before those it uses: static archives are
# searched once, in turn, when linked by hand (xatm.pc below).
set(XATM_LIBRARIES xatm_config xatm_recovery xatm_saga xatm_keys xatm_store xatm_adapters
    xatm_adapters_postgres xatm_adapters_mysql xatm_db_errors xatm_tm xatm_log
    xatm_core)

# Components, one per Debian package (cmake/Packaging.cmake): "dev" is what
# an application builds with (libxatm-dev), "cli" the command and what
# operators use (xatm).

# Everything an application needs, under one name.
add_library(xatm_library INTERFACE)
set_target_properties(xatm_library PROPERTIES EXPORT_NAME xatm)
target_link_libraries(xatm_library INTERFACE ${XATM_LIBRARIES})
add_library(xatm::xatm ALIAS xatm_library)

install(TARGETS ${XATM_LIBRARIES} xatm_library EXPORT xatmTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
# `cmake --install --strip` and the packages (CPACK_STRIP_FILES) also drop
# the archives' debug information: CMake itself strips only executables and
# shared libraries, and with it the archives weigh about 140 MB.
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    file(GLOB archives
      \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/libxatm_*.a\")
    foreach(archive IN LISTS archives)
      execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug \"\${archive}\"
        COMMAND_ERROR_IS_FATAL ANY)
    endforeach()
  endif()" COMPONENT dev)
# Only the public headers (include/xatm): applications write <xatm/...>.
install(DIRECTORY include/xatm DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT dev)
install(EXPORT xatmTargets NAMESPACE xatm::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/xatm COMPONENT dev)
configure_package_config_file(cmake/xatmConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/xatmConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/xatm)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/xatmConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/xatmConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/xatmConfigVersion.cmake
  cmake/FindMysqlConnectorCpp.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/xatm COMPONENT dev)

# The same for pkg-config (cmake/xatm.pc.in), in LIBDIR/pkgconfig.
file(RELATIVE_PATH XATM_PC_PREFIX_FROM_PCFILEDIR
  ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" XATM_PC_PREFIX_FROM_PCFILEDIR
  "${XATM_PC_PREFIX_FROM_PCFILEDIR}")
list(TRANSFORM XATM_LIBRARIES PREPEND -l OUTPUT_VARIABLE XATM_PC_LINK_FLAGS)
list(JOIN XATM_PC_LINK_FLAGS " " XATM_PC_LINK_FLAGS)
configure_file(cmake/xatm.pc.in ${CMAKE_CURRENT_BINARY_DIR}/xatm.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/xatm.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# The schemas, for operators who create the tables by hand (`xatm init`
# has them built in).
install(DIRECTORY sql/ DESTINATION ${CMAKE_INSTALL_DATADIR}/xatm/sql
  COMPONENT cli)
