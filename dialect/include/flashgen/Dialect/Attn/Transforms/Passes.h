//===- Passes.h - attn dialect passes ---------------------------*- C++ -*-===//
#ifndef FLASHGEN_DIALECT_ATTN_TRANSFORMS_PASSES_H
#define FLASHGEN_DIALECT_ATTN_TRANSFORMS_PASSES_H

#include "flashgen/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace flashgen::attn {

#define GEN_PASS_DECL
#include "flashgen/Dialect/Attn/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "flashgen/Dialect/Attn/Transforms/Passes.h.inc"

} // namespace flashgen::attn

#endif // FLASHGEN_DIALECT_ATTN_TRANSFORMS_PASSES_H
