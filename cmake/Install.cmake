# The CMake package applications link:
#   find_package(xatm REQUIRED)
#   target_link_libraries(app PRIVATE xatm::xatm)
include(CMakePackageConfigHelpers)

set(XATM_LIBRARIES xatm_core xatm_log xatm_tm xatm_store xatm_keys xatm_saga xatm_db_errors
    xatm_adapters_postgres xatm_adapters_mysql xatm_adapters xatm_recovery xatm_config)

# Everything an application needs, under one name.
add_library(xatm_library INTERFACE)
set_target_properties(xatm_library PROPERTIES EXPORT_NAME xatm)
target_link_libraries(xatm_library INTERFACE ${XATM_LIBRARIES})
add_library(xatm::xatm ALIAS xatm_library)

install(TARGETS ${XATM_LIBRARIES} xatm_library EXPORT xatmTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
# Only the public headers (include/xatm): applications write <xatm/...>.
install(DIRECTORY include/xatm DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT xatmTargets NAMESPACE xatm::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/xatm)
configure_package_config_file(cmake/xatmConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/xatmConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/xatm)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/xatmConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/xatmConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/xatmConfigVersion.cmake
  cmake/FindMysqlConnectorCpp.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/xatm)
install(DIRECTORY sql/ DESTINATION ${CMAKE_INSTALL_DATADIR}/xatm/sql)
