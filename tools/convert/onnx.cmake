# ONNX float importer (host-only). Debian's libonnx-dev: find_package(ONNX) gives the
# onnx_proto target (ONNX_ML / ONNX_NAMESPACE definitions come with it); it links protobuf.
if(TARGET octet_onnx_importer)  # included twice
  return()
endif()
find_package(Protobuf QUIET)
find_package(ONNX QUIET CONFIG)
if(NOT Protobuf_FOUND OR NOT ONNX_FOUND OR NOT TARGET onnx_proto)
  message(STATUS "ONNX importer disabled: libonnx-dev / libprotobuf-dev not found")
  return()
endif()

add_library(octet_onnx_importer STATIC ${CMAKE_CURRENT_LIST_DIR}/onnx_importer.cc)
target_include_directories(octet_onnx_importer PUBLIC ${CMAKE_SOURCE_DIR})
target_compile_definitions(octet_onnx_importer PUBLIC ONNX_ML=1 ONNX_NAMESPACE=onnx)
target_link_libraries(octet_onnx_importer PUBLIC octet_schema PRIVATE onnx_proto protobuf::libprotobuf)
