# octet_tools_common: input loading for octet-run and calibration (host only: libpng, libjpeg).
# OCTET_CLI_ONLY builds (cross compiles without foreign libpng/libjpeg) leave the codecs out:
# PNG/JPEG are then refused with a message, BMP/PGM/PPM/.npy/raw still load.
add_library(octet_tools_common STATIC ${CMAKE_CURRENT_LIST_DIR}/inputs.cc)
target_include_directories(octet_tools_common PUBLIC ${CMAKE_SOURCE_DIR})
if(OCTET_CLI_ONLY)
  target_compile_definitions(octet_tools_common PUBLIC OCTET_NO_IMAGE_CODECS)
else()
  find_package(PNG REQUIRED)
  find_package(JPEG REQUIRED)
  target_link_libraries(octet_tools_common PRIVATE PNG::PNG JPEG::JPEG)
endif()
