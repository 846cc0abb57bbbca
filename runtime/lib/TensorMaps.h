//===- TensorMaps.h - the TMA descriptors of a launch ------------*- C++ -*-===//
//
// Internal to the runtime: the tensor maps the warp-specialized kernels
// load by (FwdParams::tmaQ/K/V, BwdParams::tmaDO), encoded by the driver from
// the launch's pointers, extents and strides (LaunchArgs.cpp checked them).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_LIB_TENSORMAPS_H
#define FLASHGEN_RUNTIME_LIB_TENSORMAPS_H

#include "flashgen/Runtime/CudaDriver.h"
#include "flashgen/Runtime/Runtime.h"

namespace flashgen::runtime {

/// Q, K and V of `p` with boxes of `qRows` and `kvRows` rows: the
/// forward's tiles, or the backward's streamed and resident blocks.
llvm::Error encodeQKVMaps(CudaDriver &drv, const codegen::KernelSpec &s, const ForwardArgs &a,
                          FwdParams &p, int64_t qRows, int64_t kvRows);

/// The warp-specialized backward's maps: Q and dO by streamed tile, K and
/// V by resident key block (BwdKernelSm90Ws.cuh).
llvm::Error encodeBackwardTensorMaps(CudaDriver &drv, const codegen::KernelSpec &s,
                                     const ForwardArgs &a, BwdParams &p);

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_LIB_TENSORMAPS_H
