//===- CombineKernel.h - the merge kernels, one module per dtype -*- C++ -*-===//
//
// The kernels that merge attention results by their logsumexps (Merge.cuh)
// depend only on the output dtype and on varlen, not on the variant: the
// split-KV combine (combineKvSplits) and mergeAttention's pair merge
// (mergePair) are JITted together once per process, device, dtype and
// layout on first use (and kept in the kernel cache on disk), so a forward
// that never splits compiles and loads nothing more.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_LIB_COMBINEKERNEL_H
#define FLASHGEN_RUNTIME_LIB_COMBINEKERNEL_H

#include "flashgen/Runtime/CudaDriver.h"

#include <string>

namespace flashgen::runtime {

constexpr const char *kCombineEntry = "flashgen_combine_kv_splits";
constexpr const char *kMergeEntry = "flashgen_merge_pair";

/// The module's CUDA source for bf16 or f16 output, varlen or not.
std::string combineSource(bool bf16, bool varlen);

/// Entry `entry` of the module on `driver`'s device: compiled and loaded on
/// first use, then from memory.
llvm::Expected<CUfunction> mergeKernelFunction(CudaDriver &driver, bool bf16, const char *entry,
                                               bool varlen = false);
inline llvm::Expected<CUfunction> combineFunction(CudaDriver &driver, bool bf16, bool varlen) {
  return mergeKernelFunction(driver, bf16, kCombineEntry, varlen);
}

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_LIB_COMBINEKERNEL_H
