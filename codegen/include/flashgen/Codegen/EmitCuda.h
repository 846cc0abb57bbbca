//===- EmitCuda.h - a KernelSpec as CUDA C++ --------------------*- C++ -*-===//
//
// Stage 3 of codegen: a translation unit that includes the kernel templates,
// defines the variant's policy struct (mask, score, tile class, kv range)
// and one extern "C" __global__ entry. Deterministic: the same variant gives
// the same bytes, so its hash keys the kernel cache.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_CODEGEN_EMITCUDA_H
#define FLASHGEN_CODEGEN_EMITCUDA_H

#include "flashgen/Codegen/KernelSpec.h"

namespace flashgen::codegen {

/// The forward kernel's source. `origin` names the spec in the header line.
std::string emitForwardKernel(attn::VariantOp variant, const KernelSpec &spec,
                              llvm::StringRef origin);

/// The backward kernels' source: preprocessing (D, logsumexp), dK/dV and
/// dQ entries, named KernelSpec::bwd*Entry. Needs spec.bwdTiles.
std::string emitBackwardKernels(attn::VariantOp variant, const KernelSpec &spec,
                                llvm::StringRef origin);

} // namespace flashgen::codegen

#endif // FLASHGEN_CODEGEN_EMITCUDA_H
