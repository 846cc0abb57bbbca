//===- AttnOps.td - attn operations -----------------------------*- tablegen -*-===//
//
// attn.variant carries a whole attention variant; attn.yield ends its mask
// and score regions; attn.lookup reads a named run-time tensor inside them.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DIALECT_ATTN_IR_ATTNOPS_TD
#define FLASHGEN_DIALECT_ATTN_IR_ATTNOPS_TD

include "flashgen/Dialect/Attn/IR/AttnDialect.td"
include "flashgen/Dialect/Attn/IR/AttnAttrs.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Attn_TensorArrayAttr
    : TypedArrayAttrBase<Attn_TensorAttr, "array of attn.tensor">;

//===----------------------------------------------------------------------===//
// VariantOp
//===----------------------------------------------------------------------===//

def Attn_VariantOp : Attn_Op<"variant", [
    Symbol, IsolatedFromAbove,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmBlockArgumentNames"]>]> {
  let summary = "one attention variant: O = softmax(mask(score_mod(scale * Q K^T))) V";
  let description = [{
    Describes one attention variant. For batch `b`, query head `h`, query row
    `q` and key column `k` (all i32, `seq_q`/`seq_k` the lengths of the
    current sequence), the kernel computes

      s = score(scale * <Q[b,h,q], K[b,h/(heads/kv_heads),k]>, b, h, q, k)
      P = softmax over k of (mask(b, h, q, k) ? s : -inf)
      O[b,h,q] = sum_k dropout(P) V[b,h',k]

    The `mask` region yields an i1 (true = attend); the `score` region takes
    the scaled score as its first argument and yields the modified f32 score.
    Both hold `arith`/`math` ops and `attn.lookup` only.

    ```mlir
    attn.variant @causal attributes {dtype = #attn<dtype bf16>,
        qk_head_dim = 128 : i64, v_head_dim = 128 : i64,
        scale = 0.088388347648318433 : f64, dropout = 0.0 : f64,
        passes = #attn.passes<forward>, target = #attn<target sm_90a>} mask {
    ^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
      %0 = arith.cmpi sle, %k, %q : i32
      attn.yield %0 : i1
    } score {
    ^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
      attn.yield %score : f32
    }
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    Attn_ElementTypeAttr:$dtype,
    I64Attr:$qk_head_dim,
    I64Attr:$v_head_dim,
    OptionalAttr<I64Attr>:$heads,
    OptionalAttr<I64Attr>:$kv_heads,
    F64Attr:$scale,
    F64Attr:$dropout,
    Attn_PassesAttr:$passes,
    Attn_TargetAttr:$target,
    UnitAttr:$varlen,
    OptionalAttr<Attn_SparsityAttr>:$sparsity,
    DefaultValuedAttr<Attn_TensorArrayAttr, "{}">:$tensors,
    // From the spec's block_m/block_n/warps/stages (0 = free).
    OptionalAttr<Attn_TilingAttr>:$tile_override,
    // From the spec's bwd_block_m/bwd_warps/bwd_stages (0 = free): the
    // backward's streamed rows, warps (16 resident rows each) and stages.
    OptionalAttr<Attn_TilingAttr>:$bwd_tile_override,
    // Set by passes.
    OptionalAttr<Attn_MaskShapeAttr>:$mask_shape,
    OptionalAttr<Attn_ScoreShapeAttr>:$score_shape,
    OptionalAttr<Attn_TilingAttr>:$fwd_tiling,
    OptionalAttr<Attn_TilingAttr>:$bwd_tiling,
    OptionalAttr<StrArrayAttr>:$tiling_notes);
  let regions = (region SizedRegion<1>:$mask, SizedRegion<1>:$score);
  let assemblyFormat = [{
    $sym_name attr-dict-with-keyword `mask` $mask `score` $score
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// Number of index arguments (b, h, q, k, seq_q, seq_k) of both regions.
    static constexpr unsigned kNumIndexArgs = 6;
    /// The declared tensor named `name`, or null.
    ::flashgen::attn::TensorAttr lookupTensor(::llvm::StringRef name);
    /// The value the mask region yields / the score region yields.
    ::mlir::Value getMaskValue();
    ::mlir::Value getScoreValue();
  }];
}

//===----------------------------------------------------------------------===//
// YieldOp
//===----------------------------------------------------------------------===//

def Attn_YieldOp : Attn_Op<"yield", [
    Pure, Terminator, ReturnLike, HasParent<"VariantOp">]> {
  let summary = "yields the mask (i1) or modified score (f32) of a region";
  let description = [{
    ```mlir
    attn.yield %attend : i1
    ```
  }];
  let arguments = (ins AnyTypeOf<[I1, F32]>:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

//===----------------------------------------------------------------------===//
// LookupOp
//===----------------------------------------------------------------------===//

def Attn_LookupOp : Attn_Op<"lookup", [Pure]> {
  let summary = "reads one element of a named run-time tensor";
  let description = [{
    Reads `name[indices...]` from a tensor declared in the enclosing
    variant's `tensors`. The rank and element type must match the
    declaration. Out-of-range indices are the kernel's concern: codegen
    clamps them (a spec that indexes out of range gets a defined value).

    ```mlir
    %slope = attn.lookup "slopes"[%h] : f32
    ```
  }];
  let arguments = (ins StrAttr:$name, Variadic<I32>:$indices);
  let results = (outs AnyTypeOf<[I32, F32]>:$result);
  let assemblyFormat = "$name `[` $indices `]` attr-dict `:` type($result)";
  let hasVerifier = 1;
}

#endif // FLASHGEN_DIALECT_ATTN_IR_ATTNOPS_TD
