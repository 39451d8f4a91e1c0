# Writes OUTPUT, a C++ source holding sql/postgresql.sql and sql/mysql.sql as
# raw string literals, so the binary carries its schema and `xatm init` works
# from any directory. Run at build time: cmake -DOUTPUT=... -DPOSTGRESQL_SQL=...
# -DMYSQL_SQL=... -P embed_sql.cmake
set(delimiter "xatm_sql")
set(body "// Generated from sql/*.sql by cli/bank/embed_sql.cmake: do not edit.\n")
string(APPEND body "#include \"cli/bank/schema_sql.h\"\n\nnamespace xatm::internal {\n")
foreach(pair "kPostgresqlSchemaSql;${POSTGRESQL_SQL}" "kMysqlSchemaSql;${MYSQL_SQL}")
  list(GET pair 0 symbol)
  list(GET pair 1 file)
  file(READ "${file}" text)
  string(FIND "${text}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${file} contains )${delimiter}\": cannot embed it")
  endif()
  string(APPEND body "\nconst char ${symbol}[] = R\"${delimiter}(${text})${delimiter}\";\n")
endforeach()
string(APPEND body "\n}  // namespace xatm::internal\n")
# Rewrite only on change, so an unchanged schema recompiles nothing.
file(WRITE "${OUTPUT}.tmp" "${body}")
configure_file("${OUTPUT}.tmp" "${OUTPUT}" COPYONLY)
file(REMOVE "${OUTPUT}.tmp")
