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
