//===- CombineKernel.h - the split-KV combine, one module per dtype -*- C++ -*-===//
//
// The forward's split-KV parts are merged by one small kernel that depends
// only on the output dtype and on varlen (Merge.cuh: combineKvSplits), not
// on the variant: it is JITted once per process and device on the first
// split launch (and kept in the kernel cache on disk), so a forward that
// never splits compiles and loads nothing more.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_LIB_COMBINEKERNEL_H
#define FLASHGEN_RUNTIME_LIB_COMBINEKERNEL_H

#include "flashgen/Runtime/CudaDriver.h"

#include <string>

namespace flashgen::runtime {

constexpr const char *kCombineEntry = "flashgen_combine_kv_splits";

/// The combine's CUDA source for bf16 or f16 output, varlen or not.
std::string combineSource(bool bf16, bool varlen);

/// The combine kernel on `driver`'s device: compiled and loaded on first
/// use, then from memory.
llvm::Expected<CUfunction> combineFunction(CudaDriver &driver, bool bf16, bool varlen);

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_LIB_COMBINEKERNEL_H
