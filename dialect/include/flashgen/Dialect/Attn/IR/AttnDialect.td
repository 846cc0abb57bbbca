//===- AttnDialect.td - the attn dialect ------------------------*- tablegen -*-===//
//
// The `attn` dialect describes one attention variant as a single op whose
// attributes carry the scalar properties (dtype, head dims, heads, scale,
// dropout, passes, target, sparsity) and whose regions carry the mask and
// score-modifier expressions as ordinary `arith`/`math` IR, so that MLIR's
// canonicalizer, CSE and integer range analysis work on them unchanged.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DIALECT_ATTN_IR_ATTNDIALECT_TD
#define FLASHGEN_DIALECT_ATTN_IR_ATTNDIALECT_TD

include "mlir/IR/OpBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let summary = "IO-aware attention variants";
  let description = [{
    One `attn.variant` op per attention variant. Passes (tile classification,
    tiling from the SRAM budget, the IO cost model) annotate it; codegen turns
    it into CUDA C++ that instantiates flashgen's kernel templates.
  }];
  let cppNamespace = "::flashgen::attn";
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

#endif // FLASHGEN_DIALECT_ATTN_IR_ATTNDIALECT_TD
