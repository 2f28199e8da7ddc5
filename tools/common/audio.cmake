# octet_audio: WAV reading and keyword-spotting feature front-ends (MFCC, TFLM micro frontend).
# Host-only, no dependencies. octet-features writes the features as .npy (uses octet_tools_common).
add_library(octet_audio STATIC ${CMAKE_CURRENT_LIST_DIR}/audio.cc)
target_include_directories(octet_audio PUBLIC ${CMAKE_SOURCE_DIR})

if(NOT TARGET octet_tools_common)
  include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
endif()
add_executable(octet-features ${CMAKE_CURRENT_LIST_DIR}/features_main.cc)
target_link_libraries(octet-features PRIVATE octet_audio octet_tools_common)
