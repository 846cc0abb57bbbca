//===- AttnDialect.h - the attn dialect -------------------------*- C++ -*-===//
//
// Declares the attn dialect, its enums and attributes. Include AttnOps.h for
// the ops.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DIALECT_ATTN_IR_ATTNDIALECT_H
#define FLASHGEN_DIALECT_ATTN_IR_ATTNDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"

#include "flashgen/Dialect/Attn/IR/AttnDialect.h.inc"
#include "flashgen/Dialect/Attn/IR/AttnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "flashgen/Dialect/Attn/IR/AttnAttrs.h.inc"

namespace flashgen::attn {
/// Symbolic extents a tensor dimension may name.
bool isSymbolicExtent(llvm::StringRef name);

/// A symbolic extent split into its base and block: "seq_q/128" (seq_q in
/// blocks of 128, rounded up; the block map of `sparsity = runtime`) is
/// {"seq_q", 128}, "heads" is {"heads", 1}; a malformed block gives 0.
std::pair<llvm::StringRef, int64_t> splitExtent(llvm::StringRef name);
} // namespace flashgen::attn

#endif // FLASHGEN_DIALECT_ATTN_IR_ATTNDIALECT_H
