# Writes OUTPUT, a C++ source holding SQL scripts as raw string literals, so
# the binary carries its schema and works from any directory. Run at build
# time: cmake -DOUTPUT=... -DHEADER=dir/x.h -DENTRIES=kSymbol=file.sql,...
# -P embed_sql.cmake (symbols land in namespace xatm::internal).
set(delimiter "xatm_sql")
set(body "// Generated from sql/*.sql by cmake/embed_sql.cmake: do not edit.\n")
string(APPEND body "#include \"${HEADER}\"\n\nnamespace xatm::internal {\n")
string(REPLACE "," ";" entries "${ENTRIES}")
foreach(entry ${entries})
  string(FIND "${entry}" "=" eq)
  string(SUBSTRING "${entry}" 0 ${eq} symbol)
  math(EXPR from "${eq} + 1")
  string(SUBSTRING "${entry}" ${from} -1 file)
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
