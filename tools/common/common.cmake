# octet_tools_common: input loading for octet-run and calibration (host only: libpng, libjpeg).
find_package(PNG REQUIRED)
find_package(JPEG REQUIRED)
add_library(octet_tools_common STATIC ${CMAKE_CURRENT_LIST_DIR}/inputs.cc)
target_include_directories(octet_tools_common PUBLIC ${CMAKE_SOURCE_DIR})
target_link_libraries(octet_tools_common PRIVATE PNG::PNG JPEG::JPEG)
