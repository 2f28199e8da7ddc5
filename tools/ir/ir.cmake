# octet_ir: the host graph IR and its serializer (memory plan, packing, data section).
include(${CMAKE_CURRENT_LIST_DIR}/../common/common.cmake)
add_library(octet_ir STATIC ${CMAKE_CURRENT_LIST_DIR}/graph.cc ${CMAKE_CURRENT_LIST_DIR}/serialize.cc)
target_include_directories(octet_ir PUBLIC ${CMAKE_SOURCE_DIR} ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(octet_ir PUBLIC octet_schema octet_kernels)
