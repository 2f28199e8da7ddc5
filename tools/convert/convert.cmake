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

# The ONNX importer is another engineer's target (onnx.cmake: octet_onnx_importer, needs
# libonnx-dev + protobuf). Without it, onnx_unavailable.cc explains why .onnx cannot be read.
include(${OCTET_CONVERT_DIR}/onnx.cmake OPTIONAL)
if(NOT TARGET octet_onnx_importer)
  list(APPEND OCTET_CONVERT_SOURCES ${OCTET_CONVERT_DIR}/onnx_unavailable.cc)
endif()

add_library(octet_convert STATIC ${OCTET_CONVERT_SOURCES})
add_dependencies(octet_convert octet_tflite_schema_gen)
target_include_directories(octet_convert PUBLIC ${CMAKE_SOURCE_DIR} ${OCTET_TFLITE_GENERATED_DIR})
target_link_libraries(octet_convert PUBLIC octet_ir octet_tools_common)
if(TARGET octet_onnx_importer)
  # Mutual: the ONNX importer runs the clean-up passes that live in octet_convert.
  target_link_libraries(octet_convert PUBLIC octet_onnx_importer)
  target_link_libraries(octet_onnx_importer INTERFACE octet_convert)
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
