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
# With the runtime built, every hand-built model also runs through serialize + the runtime.
if(TARGET octet AND TARGET octet_ir)
  target_link_libraries(onnx_ops_test PRIVATE octet octet_ir)
  target_compile_definitions(onnx_ops_test PRIVATE OCTET_ONNX_TEST_RUNTIME=1)
endif()
gtest_discover_tests(onnx_ops_test)

# Real models from ../shared; ONNX Runtime reference outputs come from a venv created on first
# use under the build dir (the test skips with a message when it cannot be created).
add_executable(onnx_models_test ${CMAKE_CURRENT_LIST_DIR}/onnx_models_test.cc)
target_link_libraries(onnx_models_test PRIVATE octet_onnx_importer onnx_proto protobuf::libprotobuf GTest::gtest_main)
target_compile_definitions(onnx_models_test PRIVATE ${OCTET_SHARED_DIR_DEFINE}
  OCTET_ONNX_TEST_VENV="${CMAKE_BINARY_DIR}/onnx_venv"
  OCTET_ONNX_TEST_ORT_SCRIPT="${CMAKE_CURRENT_LIST_DIR}/onnx_ort_reference.py")
if(TARGET octet AND TARGET octet_ir)
  target_link_libraries(onnx_models_test PRIVATE octet octet_ir)
  target_compile_definitions(onnx_models_test PRIVATE OCTET_ONNX_TEST_RUNTIME=1)
endif()
# The first run may create the venv (pip download): allow time.
gtest_discover_tests(onnx_models_test PROPERTIES TIMEOUT 900)
