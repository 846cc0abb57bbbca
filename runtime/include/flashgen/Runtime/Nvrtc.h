//===- Nvrtc.h - CUDA C++ to CUBIN/PTX with NVRTC ---------------*- C++ -*-===//
//
// Compiles generated kernels with the embedded templates as headers. Needs
// no GPU: NVRTC runs anywhere libnvrtc is installed. The full compiler log
// comes back on failure.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_NVRTC_H
#define FLASHGEN_RUNTIME_NVRTC_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace flashgen::runtime {

struct NvrtcResult {
  std::string ptx;         // empty when the CUBIN came through nvJitLink
  std::vector<char> cubin; // empty when only PTX was asked for
  std::string log;
  double seconds = 0;
  double linkSeconds = 0; // of `seconds`: nvJitLink's (NVVM, then ptxas)
};

/// `arch` is "sm_80", "sm_90a", ...; with `cubin` false only PTX is made.
/// A CUBIN is linked from LTO-IR by nvJitLink where the library is found
/// (NvJitLink.h: no unused constants in it; no PTX then), else NVRTC's
/// (also when a link fails: a warning, and NVRTC's CUBINs for the rest of
/// the process, so that a broken nvJitLink costs one failed link, not one
/// per compile); `withPtx` asks for NVRTC's CUBIN and its PTX (tests read
/// the PTX).
llvm::Expected<NvrtcResult> compileWithNvrtc(llvm::StringRef source,
                                             llvm::StringRef name,
                                             llvm::StringRef arch, bool cubin = true,
                                             llvm::ArrayRef<std::string> extraOptions = {},
                                             bool withPtx = false);

/// Whether compileWithNvrtc links CUBINs with nvJitLink in this process
/// (the library is found and no link has failed yet).
bool linksWithNvJitLink();
/// For tests: links again after a failed one.
void resetNvJitLinkFailure();

/// The NVRTC options used (part of the kernel cache key).
std::vector<std::string> nvrtcOptions(llvm::StringRef arch);

/// "major.minor" of the NVRTC library in use.
std::string nvrtcVersion();

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_NVRTC_H
