//===- AttnOps.h - attn operations ------------------------------*- C++ -*-===//
#ifndef FLASHGEN_DIALECT_ATTN_IR_ATTNOPS_H
#define FLASHGEN_DIALECT_ATTN_IR_ATTNOPS_H

#include "flashgen/Dialect/Attn/IR/AttnDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "flashgen/Dialect/Attn/IR/AttnOps.h.inc"

#endif // FLASHGEN_DIALECT_ATTN_IR_ATTNOPS_H
