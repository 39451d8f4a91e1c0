# MySQL Connector/C++ 1.1 ships neither a CMake config nor a .pc file.
find_path(MYSQLCPPCONN_CPPCONN_DIR cppconn/driver.h)
find_library(MYSQLCPPCONN_LIBRARY mysqlcppconn)
if(NOT MYSQLCPPCONN_CPPCONN_DIR OR NOT MYSQLCPPCONN_LIBRARY)
  message(FATAL_ERROR "MySQL Connector/C++ 1.1 not found: "
                      "apt-get install libmysqlcppconn-dev")
endif()
add_library(MysqlConnectorCpp::MysqlConnectorCpp UNKNOWN IMPORTED)
set_target_properties(MysqlConnectorCpp::MysqlConnectorCpp PROPERTIES
  IMPORTED_LOCATION "${MYSQLCPPCONN_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${MYSQLCPPCONN_CPPCONN_DIR}")

# The C client library it runs on (libmariadb), for what Connector/C++ does
# not expose: client plugins (adapters/mysql/my_tls_guard.h). The same shared
# library, so the plugin registry is shared.
find_path(MARIADB_CLIENT_INCLUDE_DIR mysql/plugin_auth.h PATH_SUFFIXES mariadb)
find_library(MARIADB_CLIENT_LIBRARY mariadb)
if(NOT MARIADB_CLIENT_INCLUDE_DIR OR NOT MARIADB_CLIENT_LIBRARY)
  message(FATAL_ERROR "MariaDB Connector/C not found: "
                      "apt-get install libmariadb-dev")
endif()
add_library(MysqlConnectorCpp::MariadbClient UNKNOWN IMPORTED)
set_target_properties(MysqlConnectorCpp::MariadbClient PROPERTIES
  IMPORTED_LOCATION "${MARIADB_CLIENT_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${MARIADB_CLIENT_INCLUDE_DIR}")
