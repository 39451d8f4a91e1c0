# xatm_embed_sql(OUTPUT HEADER SYMBOL FILE [SYMBOL FILE ...]): generates
# OUTPUT at build time, a C++ source defining each SYMBOL (namespace
# xatm::internal, declared in HEADER) as the text of FILE
# (cmake/embed_sql.cmake), rebuilt when a FILE changes.
function(xatm_embed_sql output header)
  set(entries "")
  set(files "")
  set(pairs ${ARGN})
  while(pairs)
    list(POP_FRONT pairs symbol file)
    list(APPEND entries "${symbol}=${file}")
    list(APPEND files "${file}")
  endwhile()
  string(REPLACE ";" "," entries "${entries}")
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${output} -DHEADER=${header}
            "-DENTRIES=${entries}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_sql.cmake
    DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/embed_sql.cmake
    COMMENT "Embedding ${files}"
    VERBATIM)
endfunction()
