//===- CompilePipeline.h - spec text to kernel spec and CUDA source -*- C++ -*-===//
//
// Internal to the runtime: the JIT (Runtime.cpp) and the public
// generateForward/generateBackward/planVariant share one pipeline.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_LIB_COMPILEPIPELINE_H
#define FLASHGEN_RUNTIME_LIB_COMPILEPIPELINE_H

#include "flashgen/Runtime/Runtime.h"

namespace flashgen::runtime {

/// Frontend, canonicalization, shape recognition and tiling for `target`,
/// then codegen (the forward's kernels, or with `backward` the backward's).
/// Diagnostics come back as the error's text; `problem`, if given, gets
/// the tiling problem the planner solved.
llvm::Expected<std::pair<codegen::KernelSpec, std::string>>
generateVariant(llvm::StringRef text, llvm::StringRef name, const attn::GpuTarget &target,
                bool backward, attn::TilingProblem *problem = nullptr);

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_LIB_COMPILEPIPELINE_H
