//===- KernelSpecJson.h - a KernelSpec as JSON, and back --------*- C++ -*-===//
//
// What a launch needs of a compiled variant (entry names, tiling, flags,
// named tensors), written next to its CUBIN in the kernel cache's spec
// index, so a new process that finds both skips the frontend, the pass
// pipeline and codegen (runtime/KernelCache.h). `sparsity` (an MLIR
// attribute, codegen's input only) is not written and reads back null.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_CODEGEN_KERNELSPECJSON_H
#define FLASHGEN_CODEGEN_KERNELSPECJSON_H

#include "flashgen/Codegen/KernelSpec.h"

#include "llvm/Support/JSON.h"

namespace flashgen::codegen {

llvm::json::Value kernelSpecToJson(const KernelSpec &s);

/// The KernelSpec of kernelSpecToJson's output; an error naming the first
/// field missing or of the wrong type.
llvm::Expected<KernelSpec> kernelSpecFromJson(const llvm::json::Value &v);

} // namespace flashgen::codegen

#endif // FLASHGEN_CODEGEN_KERNELSPECJSON_H
