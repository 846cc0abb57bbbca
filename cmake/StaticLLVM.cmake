#===- cmake/StaticLLVM.cmake - link Debian's LLVM/MLIR statically ----------===#
#
# Debian builds LLVM with LLVM_LINK_LLVM_DYLIB=ON, so every exported static
# MLIR* target names the *shared* target "LLVM" (libLLVM.so.22, which drags in
# z3, icu, xml2, ...). Swap it for the static component libraries, drop z3
# from LLVMSupport (only llvm::CreateZ3Solver uses it) and link zlib/zstd
# statically. Result: our tools need libc/libm only (+ libnvrtc later).
#
#===------------------------------------------------------------------------===#
set(FLASHGEN_LLVM_COMPONENTS support remarks CACHE STRING
    "LLVM components linked statically in place of libLLVM.so")
llvm_map_components_to_libnames(_flashgen_llvm_static ${FLASHGEN_LLVM_COMPONENTS})

foreach(_t IN LISTS MLIR_EXPORTED_TARGETS)
  if(TARGET ${_t})
    get_target_property(_type ${_t} TYPE)
    get_target_property(_libs ${_t} INTERFACE_LINK_LIBRARIES)
    if(_type STREQUAL "STATIC_LIBRARY" AND _libs)
      list(TRANSFORM _libs REPLACE "^LLVM$" "${_flashgen_llvm_static}")
      set_property(TARGET ${_t} PROPERTY INTERFACE_LINK_LIBRARIES "${_libs}")
    endif()
  endif()
endforeach()

find_library(FLASHGEN_ZLIB_A NAMES libz.a REQUIRED)
find_library(FLASHGEN_ZSTD_A NAMES libzstd.a REQUIRED)
get_target_property(_libs LLVMSupport INTERFACE_LINK_LIBRARIES)
list(FILTER _libs EXCLUDE REGEX "libz3")
list(TRANSFORM _libs REPLACE "^ZLIB::ZLIB$" "${FLASHGEN_ZLIB_A}")
list(TRANSFORM _libs REPLACE "^zstd::libzstd_shared$" "${FLASHGEN_ZSTD_A}")
set_property(TARGET LLVMSupport PROPERTY INTERFACE_LINK_LIBRARIES "${_libs}")

add_link_options(-static-libstdc++ -static-libgcc)

# Our own add_mlir_*_library targets would otherwise link libLLVM.so too.
set(LLVM_LINK_LLVM_DYLIB OFF)
set(MLIR_LINK_MLIR_DYLIB OFF)
