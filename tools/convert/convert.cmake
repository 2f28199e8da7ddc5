# octet_convert (importers, clean-up, calibration, quantizer, report) and the octet-convert CLI.
set(OCTET_CONVERT_DIR ${CMAKE_CURRENT_LIST_DIR})

# Octet's own subset of the TFLite schema -> generated reader.
set(OCTET_TFLITE_GENERATED_DIR ${CMAKE_BINARY_DIR}/generated/tflite)
add_custom_command(
  OUTPUT ${OCTET_TFLITE_GENERATED_DIR}/tflite_subset_generated.h
  COMMAND ${FLATC} --cpp --scoped-enums -o ${OCTET_TFLITE_GENERATED_DIR} ${OCTET_CONVERT_DIR}/tflite_subset.fbs
  DEPENDS ${OCTET_CONVERT_DIR}/tflite_subset.fbs
  COMMENT "flatc tools/convert/tflite_subset.fbs")
add_custom_target(octet_tflite_schema_gen DEPENDS ${OCTET_TFLITE_GENERATED_DIR}/tflite_subset_generated.h)

set(OCTET_CONVERT_SOURCES
  ${OCTET_CONVERT_DIR}/quant_utils.cc
  ${OCTET_CONVERT_DIR}/cleanup.cc
  ${OCTET_CONVERT_DIR}/tflite_importer.cc)
foreach(optional_source calibration.cc quantizer.cc report.cc)
  if(EXISTS ${OCTET_CONVERT_DIR}/${optional_source})
    list(APPEND OCTET_CONVERT_SOURCES ${OCTET_CONVERT_DIR}/${optional_source})
  endif()
endforeach()

# The ONNX importer (another engineer's file) needs libonnx-dev + protobuf.
set(OCTET_HAVE_ONNX_IMPORTER OFF)
if(EXISTS ${OCTET_CONVERT_DIR}/onnx_importer.cc)
  find_package(ONNX QUIET)
  find_package(Protobuf QUIET)
  if(ONNX_FOUND OR TARGET onnx_proto)
    set(OCTET_HAVE_ONNX_IMPORTER ON)
    list(APPEND OCTET_CONVERT_SOURCES ${OCTET_CONVERT_DIR}/onnx_importer.cc)
  endif()
endif()
if(NOT OCTET_HAVE_ONNX_IMPORTER)
  list(APPEND OCTET_CONVERT_SOURCES ${OCTET_CONVERT_DIR}/onnx_unavailable.cc)
endif()

add_library(octet_convert STATIC ${OCTET_CONVERT_SOURCES})
add_dependencies(octet_convert octet_tflite_schema_gen)
target_include_directories(octet_convert PUBLIC ${CMAKE_SOURCE_DIR} ${OCTET_TFLITE_GENERATED_DIR})
target_link_libraries(octet_convert PUBLIC octet_ir octet_tools_common octet_kernels)
if(OCTET_HAVE_ONNX_IMPORTER)
  target_compile_definitions(octet_convert PRIVATE ONNX_ML=1 ONNX_NAMESPACE=onnx)
  target_link_libraries(octet_convert PRIVATE onnx_proto protobuf::libprotobuf)
endif()
# Calibration and the report run graphs through the runtime library.
foreach(runtime_target octet_runtime octet)
  if(TARGET ${runtime_target} AND NOT OCTET_CONVERT_RUNTIME)
    set(OCTET_CONVERT_RUNTIME ${runtime_target})
  endif()
endforeach()
if(OCTET_CONVERT_RUNTIME)
  target_link_libraries(octet_convert PUBLIC ${OCTET_CONVERT_RUNTIME})
endif()
target_include_directories(octet_convert PUBLIC ${CMAKE_SOURCE_DIR}/runtime/include)

if(EXISTS ${OCTET_CONVERT_DIR}/main.cc)
  add_executable(octet-convert ${OCTET_CONVERT_DIR}/main.cc)
  target_link_libraries(octet-convert PRIVATE octet_convert)
endif()
