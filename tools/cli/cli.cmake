# octet-run and octet-inspect: host CLIs on the runtime's C API (plus tools/common for inputs).
# They need the runtime library (target `octet`); until it exists they are not built.
if(TARGET octet)
  add_executable(octet-run ${CMAKE_CURRENT_LIST_DIR}/run.cc)
  target_include_directories(octet-run PRIVATE ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/runtime/include)
  target_link_libraries(octet-run PRIVATE octet octet_tools_common)

  add_executable(octet-inspect ${CMAKE_CURRENT_LIST_DIR}/inspect.cc)
  target_include_directories(octet-inspect PRIVATE ${CMAKE_SOURCE_DIR} ${CMAKE_SOURCE_DIR}/runtime/include)
  target_link_libraries(octet-inspect PRIVATE octet octet_schema octet_tools_common)
endif()
