# Audio front-end tests (audio features work): WAV reader, MFCC, micro frontend, octet-features.
if(NOT TARGET octet_audio)
  message(STATUS "audio tests disabled (no octet_audio target)")
  return()
endif()

foreach(name wav mfcc micro)
  add_executable(audio_${name}_test ${CMAKE_CURRENT_LIST_DIR}/audio_${name}_test.cc)
  target_link_libraries(audio_${name}_test PRIVATE octet_audio GTest::gtest_main)
  target_compile_definitions(audio_${name}_test PRIVATE ${OCTET_SHARED_DIR_DEFINE})
  gtest_discover_tests(audio_${name}_test)
endforeach()

# Also leaves the shared clips' features in ${CMAKE_BINARY_DIR}/audio_features/
# (<clip>_mfcc.npy float [1,49,10,1], <clip>_micro.npy int8 [1,1960], clip = yes/no/silence/noise):
# tests that feed them to the models can declare FIXTURES_REQUIRED octet_audio_features.
add_executable(audio_features_cli_test ${CMAKE_CURRENT_LIST_DIR}/audio_features_cli_test.cc)
target_link_libraries(audio_features_cli_test PRIVATE octet_audio octet_tools_common GTest::gtest_main)
target_compile_definitions(audio_features_cli_test PRIVATE ${OCTET_SHARED_DIR_DEFINE}
  OCTET_FEATURES_BIN="$<TARGET_FILE:octet-features>"
  OCTET_AUDIO_FEATURES_DIR="${CMAKE_BINARY_DIR}/audio_features")
add_dependencies(audio_features_cli_test octet-features)
gtest_discover_tests(audio_features_cli_test PROPERTIES FIXTURES_SETUP octet_audio_features)
