#===- cmake/AddFlashgen.cmake - helpers for flashgen targets ---------------===#
include(GoogleTest)

# add_flashgen_unittest(name SOURCES... LIBS ...): one gtest binary, its cases
# registered with ctest individually (discovered after build).
function(add_flashgen_unittest name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  # 900 s: the NVRTC compile-all tests take ~230 s each on CI's two cores
  # with a cold kernel cache (300 s was within 25% of that).
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT 900)
endfunction()
