//===- CompilePipeline.h - spec text to kernel spec and CUDA source -*- C++ -*-===//
//
// Internal to the runtime (and its unit tests): the JIT (Runtime.cpp), the
// public generateForward/generateBackward/planVariant, the float64 check
// (Check.cpp) and the host block classes (BlockClasses.cpp) share one way
// from spec text to its variant.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_LIB_COMPILEPIPELINE_H
#define FLASHGEN_RUNTIME_LIB_COMPILEPIPELINE_H

#include "flashgen/Runtime/Runtime.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>

namespace flashgen::runtime {

/// A spec's one variant, lowered to the attn dialect with its expressions
/// canonicalized, and what owns it: `variant` is valid while this lives;
/// later passes print their diagnostics through `srcMgr`.
struct ParsedSpec {
  llvm::SourceMgr srcMgr;
  std::unique_ptr<mlir::MLIRContext> ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  attn::VariantOp variant;
};

/// Frontend and expression canonicalization of `text` (named `name` in
/// diagnostics), which must hold exactly one variant; ErrorKind::Spec
/// errors carry the diagnostics.
llvm::Expected<std::unique_ptr<ParsedSpec>> parseSpec(llvm::StringRef text, llvm::StringRef name);

/// Frontend, canonicalization, shape recognition and tiling for `target`,
/// then codegen (the forward's kernels, or with `backward` the backward's;
/// `checkLookups`: a checked build, KernelSpec::checkLookups; `pack`: the
/// variant rewritten for GQA packing first, attn-pack-query-heads, an
/// Unsupported error naming why where it refuses).
/// Diagnostics come back as the error's text; `problem`, if given, gets
/// the tiling problem the planner solved.
llvm::Expected<std::pair<codegen::KernelSpec, std::string>>
generateVariant(llvm::StringRef text, llvm::StringRef name, const attn::GpuTarget &target,
                bool backward, attn::TilingProblem *problem = nullptr,
                bool checkLookups = false, const PackedQueryHeads &pack = {});

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_LIB_COMPILEPIPELINE_H
