//===- ModuleImage.h - several CUBINs cached as one blob --------*- C++ -*-===//
//
// A module compiled as several NVRTC programs (the backward's compile units,
// KernelSpec::backwardCompileUnits) is cached and loaded as one blob:
// "FGMI" and a count in 16 bytes, then per CUBIN its size in 16 bytes and
// its bytes padded to 16 (little-endian 64-bit integers), so each CUBIN
// is as aligned as the blob. A plain CUBIN (an ELF file: the forward's) is one image as it
// stands, so both kinds of cache entry load the same way.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_LIB_MODULEIMAGE_H
#define FLASHGEN_RUNTIME_LIB_MODULEIMAGE_H

#include "llvm/ADT/ArrayRef.h"

#include <optional>
#include <vector>

namespace flashgen::runtime {

/// One blob holding `cubins` in order.
std::vector<char> packModuleImages(llvm::ArrayRef<std::vector<char>> cubins);

/// The CUBINs of `blob`, in order: its images, or the blob itself when it
/// is a single CUBIN; nothing when it is neither or is cut short.
std::optional<std::vector<llvm::ArrayRef<char>>> unpackModuleImages(llvm::ArrayRef<char> blob);

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_LIB_MODULEIMAGE_H
