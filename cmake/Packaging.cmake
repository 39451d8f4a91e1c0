# Debian packages, one per install component (cmake/Install.cmake,
# cli/CMakeLists.txt), made in the build directory by
#   cpack -G DEB
# (scripts/check-packages.sh makes, inspects, installs and removes them):
#   xatm         the command, its man page and bash completion, the systemd
#                unit of `xatm serve`, the schemas (share/xatm/sql)
#   libxatm-dev  the headers, the static libraries, the CMake package and
#                xatm.pc, depending on the -dev packages they need
set(CPACK_PACKAGE_NAME xatm)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(XATM_PACKAGE_MAINTAINER "xatm maintainers <xatm@example.org>"
  CACHE STRING "The Maintainer field of the Debian packages")
set(CPACK_PACKAGE_CONTACT "${XATM_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${XATM_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Executables lose their debug information (and the archives too: see
# cmake/Install.cmake).
set(CPACK_STRIP_FILES ON)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL cli dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # NAME_VERSION_ARCH.deb

set(CPACK_DEBIAN_CLI_PACKAGE_NAME xatm)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION database)
# Depends from the libraries the binary loads (dpkg-shlibdeps).
set(CPACK_DEBIAN_CLI_PACKAGE_SHLIBDEPS ON)
set(CPACK_COMPONENT_CLI_DESCRIPTION
  "${PROJECT_DESCRIPTION}: the xatm command
 Moves money between accounts in two databases in one global transaction,
 and recovers in-doubt transactions (xatm recover, in-doubt, resolve, log,
 serve). With the man page xatm(1), bash completion, the systemd unit
 xatm-recovery.service (not enabled) and the schemas in
 /usr/share/xatm/sql.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libxatm-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# What find_package(xatm) and xatm.pc look for.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libpq-dev, libmariadb-dev, libmysqlcppconn-dev, libspdlog-dev, prometheus-cpp-dev, nlohmann-json3-dev, libboost-program-options-dev")
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS "cmake, pkg-config")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "${PROJECT_DESCRIPTION}: the library for applications
 Headers (<xatm/xatm.h>), static libraries, the CMake package
 (find_package(xatm), target xatm::xatm) and a pkg-config file (xatm.pc).")

include(CPack)
