//===- NvJitLink.h - LTO-IR to CUBIN with nvJitLink, opened with dlopen -*- C++ -*-===//
//
// NVRTC emits every namespace-scope and static constexpr constant of the
// templates (a tile's byte count, a dtype's flags: ~70 per module) as a
// .global variable, used or not (nvcc keeps them host-side), and no NVRTC
// option drops them. The driver allocates, initializes and relocates them
// at each module load: 0.4-0.6 ms of a new process's disk hit on the H200,
// against 0.10-0.14 ms for the same kernels without them (bench/results/
// 2026-12-01-h200-s26.md). So the runtime has NVRTC stop at LTO-IR (-dlto)
// and links it with nvJitLink (-lto -optimize-unused-variables: constants
// no code reads are dropped): the library beside the NVRTC in use, opened
// on first use. Without it, NVRTC's own CUBIN serves (globals and all).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_LIB_NVJITLINK_H
#define FLASHGEN_RUNTIME_LIB_NVJITLINK_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace flashgen::runtime {

/// The file of the nvJitLink beside this NVRTC (the same directory, or a
/// CUDA 12 pip wheel's sibling package; symbolic links resolved:
/// ".../libnvJitLink.so.13.0.88"), or "" when there is none
/// (FLASHGEN_NVJITLINK=0 also says none, for A/B measurements). Found
/// without opening it: a cache key names it, and a disk hit must not pay
/// the library's load (4-6 ms on the H200 machine).
const std::string &nvJitLinkFile();

/// "major.minor" of the nvJitLink opened (on first call), or "" when it
/// cannot be opened or belongs to another toolkit than the NVRTC.
const std::string &nvJitLinkVersion();

/// NVRTC's LTO-IR `ltoIr` linked into a CUBIN for `arch` ("sm_90a");
/// `options` go to nvJitLink too (-lineinfo, ...). The error carries
/// nvJitLink's log.
llvm::Expected<std::vector<char>> linkLtoIr(llvm::ArrayRef<char> ltoIr, llvm::StringRef arch,
                                            llvm::ArrayRef<std::string> options = {});

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_LIB_NVJITLINK_H
