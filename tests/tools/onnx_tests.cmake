# ONNX importer tests (ONNX importer work). Skipped when the importer is not built.
if(NOT TARGET octet_onnx_importer)
  message(STATUS "ONNX importer tests disabled (no octet_onnx_importer target)")
  return()
endif()

# Imported targets are directory-scoped: find them again here.
find_package(Protobuf REQUIRED)
find_package(ONNX REQUIRED CONFIG)

add_executable(onnx_ops_test ${CMAKE_CURRENT_LIST_DIR}/onnx_ops_test.cc)
target_link_libraries(onnx_ops_test PRIVATE octet_onnx_importer onnx_proto protobuf::libprotobuf GTest::gtest_main)
gtest_discover_tests(onnx_ops_test)
