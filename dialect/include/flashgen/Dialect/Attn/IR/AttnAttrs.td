//===- AttnAttrs.td - attn enums and attributes -----------------*- tablegen -*-===//
//
// Typed attributes for the scalar properties of a variant: element type,
// passes, target, sparsity pattern, and the tensors that mask/score
// expressions look values up in.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DIALECT_ATTN_IR_ATTNATTRS_TD
#define FLASHGEN_DIALECT_ATTN_IR_ATTNATTRS_TD

include "flashgen/Dialect/Attn/IR/AttnDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

// Element type of Q, K, V and O. fp8 is reserved: it parses and verifies so
// that IR can name it, but the frontend refuses it until kernels exist.
def Attn_ElementType : I32EnumAttr<"ElementType", "attention element type", [
    I32EnumAttrCase<"f16", 0>,
    I32EnumAttrCase<"bf16", 1>,
    I32EnumAttrCase<"fp8_e4m3", 2>,
    I32EnumAttrCase<"fp8_e5m2", 3>]> {
  let cppNamespace = "::flashgen::attn";
  let genSpecializedAttr = 0;
}
def Attn_ElementTypeAttr : EnumAttr<Attn_Dialect, Attn_ElementType, "dtype">;

def Attn_Passes : I32BitEnumAttr<"Passes", "kernels to generate", [
    I32BitEnumAttrCaseBit<"forward", 0>,
    I32BitEnumAttrCaseBit<"backward", 1>]> {
  let cppNamespace = "::flashgen::attn";
  let genSpecializedAttr = 0;
  let separator = ", ";
}
def Attn_PassesAttr : EnumAttr<Attn_Dialect, Attn_Passes, "passes"> {
  let assemblyFormat = "`<` $value `>`";
}

// `native` means "the GPU present at JIT time".
def Attn_Target : I32EnumAttr<"Target", "GPU architecture", [
    I32EnumAttrCase<"sm_80", 0>,
    I32EnumAttrCase<"sm_86", 1>,
    I32EnumAttrCase<"sm_89", 2>,
    I32EnumAttrCase<"sm_90a", 3>,
    I32EnumAttrCase<"native", 4>]> {
  let cppNamespace = "::flashgen::attn";
  let genSpecializedAttr = 0;
}
def Attn_TargetAttr : EnumAttr<Attn_Dialect, Attn_Target, "target">;

def Attn_SparsityKind : I32EnumAttr<"SparsityKind", "block-sparsity pattern", [
    I32EnumAttrCase<"local", 0>,
    I32EnumAttrCase<"strided", 1>,
    I32EnumAttrCase<"butterfly", 2>,
    I32EnumAttrCase<"layout", 3>,
    I32EnumAttrCase<"runtime", 4>]> {
  let cppNamespace = "::flashgen::attn";
  let genSpecializedAttr = 0;
}
def Attn_SparsityKindAttr
    : EnumAttr<Attn_Dialect, Attn_SparsityKind, "sparsity_kind">;

def Attn_MaskShapeKind : I32EnumAttr<"MaskShapeKind", "recognized mask form", [
    I32EnumAttrCase<"none", 0>,     // attend everywhere
    I32EnumAttrCase<"band", 1>,     // lower <= k - q' <= upper, nothing else
    I32EnumAttrCase<"band_and", 2>, // a band AND other conditions (lookups, ...)
    I32EnumAttrCase<"generic", 3>]> {
  let cppNamespace = "::flashgen::attn";
  let genSpecializedAttr = 0;
}

def Attn_ScoreShapeKind : I32EnumAttr<"ScoreShapeKind", "recognized score form", [
    I32EnumAttrCase<"identity", 0>, // score
    I32EnumAttrCase<"softcap", 1>,  // cap * tanh(score / cap)
    I32EnumAttrCase<"alibi", 2>,    // score + slope[h] * (k - q) (either sign)
    I32EnumAttrCase<"additive", 3>, // score + f(b, h, q, k): d/dscore = 1
    I32EnumAttrCase<"generic", 4>]> {
  let cppNamespace = "::flashgen::attn";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// Attribute definitions
//===----------------------------------------------------------------------===//

class Attn_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Attn_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Attn_SparsityAttr : Attn_Attr<"Sparsity", "sparsity"> {
  let summary = "block-sparsity pattern over (query block, key block)";
  let description = [{
    Which `block_size` x `block_size` tiles of the score matrix are computed.
    Query block `i`, key block `j`:
    - `local`: `|i - j| < width`
    - `strided`: `(i - j) mod stride == 0`, or `j < global` or `i < global`
    - `butterfly`: `i == j` or `i xor j` is a power of two
    - `layout`: `layout[(i mod rows) * cols + (j mod cols)] != 0`
      (a `rows` x `cols` 0/1 matrix, repeated over the score matrix)
    - `runtime`: a block mask given at launch time

    ```mlir
    #attn.sparsity<local, block_size = 128, width = 2>
    #attn.sparsity<layout, block_size = 64, rows = 2, cols = 2, layout = [1, 0, 1, 1]>
    ```
  }];
  let parameters = (ins
    "::flashgen::attn::SparsityKind":$kind,
    "int64_t":$block_size,
    DefaultValuedParameter<"int64_t", "0">:$width,
    DefaultValuedParameter<"int64_t", "0">:$stride,
    DefaultValuedParameter<"int64_t", "0">:$global,
    DefaultValuedParameter<"int64_t", "0">:$rows,
    DefaultValuedParameter<"int64_t", "0">:$cols,
    OptionalParameter<"::mlir::DenseI64ArrayAttr">:$layout);
  // struct() prints only the parameters that differ from their defaults, in
  // any order on input.
  let assemblyFormat = [{
    `<` $kind `,` struct($block_size, $width, $stride, $global, $rows, $cols,
                         $layout) `>`
  }];
  let genVerifyDecl = 1;
}

def Attn_TensorAttr : Attn_Attr<"Tensor", "tensor"> {
  let summary = "a named run-time tensor that mask/score expressions index";
  let description = [{
    Declares a tensor passed by name at launch (per-token document ids, ALiBi
    slopes, a bias table...). Each dimension is a size or a symbolic extent
    (`batch`, `heads`, `kv_heads`, `seq_q`, `seq_k`, `tokens_q`, `tokens_k`).

    ```mlir
    #attn.tensor<"slopes", f32, ["heads"]>
    #attn.tensor<"bias", f32, ["heads", 255]>
    ```
  }];
  let parameters = (ins
    StringRefParameter<"tensor name">:$name,
    "::mlir::Type":$elementType,
    "::mlir::ArrayAttr":$shape);
  let assemblyFormat = "`<` $name `,` $elementType `,` $shape `>`";
  let genVerifyDecl = 1;
}

def Attn_MaskShapeAttr : Attn_Attr<"MaskShape", "mask_shape"> {
  let summary = "the mask's recognized form (set by attn-recognize-shapes)";
  let description = [{
    A band mask constrains only the diagonal offset d = k - q' where q' is q
    (top-left alignment) or q + seq_k - seq_q (bottom-right): lower <= d <=
    upper, either bound optional. Causal is `band, upper = 0`; a sliding
    window of 256 is `band, lower = -256, upper = 0`. `band_and` means the
    band AND further conditions (which keep tiles Partial); the band alone
    then still bounds the kv loop.

    ```mlir
    #attn.mask_shape<band, upper = 0>
    #attn.mask_shape<band_and, lower = -256, upper = 0, bottom_right>
    ```
  }];
  let parameters = (ins
    "::flashgen::attn::MaskShapeKind":$kind,
    "std::optional<int64_t>":$lower,
    "std::optional<int64_t>":$upper,
    "bool":$bottomRight);
  let hasCustomAssemblyFormat = 1;
}

def Attn_ScoreShapeAttr : Attn_Attr<"ScoreShape", "score_shape"> {
  let summary = "the score modifier's recognized form";
  let description = [{
    ```mlir
    #attn.score_shape<identity>
    #attn.score_shape<softcap, cap = 5.000000e+01>
    #attn.score_shape<alibi, tensor = "slopes", sign = -1>
    ```
  }];
  let parameters = (ins
    "::flashgen::attn::ScoreShapeKind":$kind,
    "::llvm::APFloat":$cap,
    StringRefParameter<"tensor the slope is read from">:$tensor,
    "int64_t":$sign);
  let hasCustomAssemblyFormat = 1;
}

def Attn_TilingAttr : Attn_Attr<"Tiling", "tiling"> {
  let summary = "a kernel tiling and its resource use";
  let description = [{
    Br (`block_m`) query rows and Bc (`block_n`) key rows per tile, `warps`
    per CTA, cp.async `stages`, whether Q's MMA fragments stay in registers,
    which tensor-core instruction the kernel uses (`mma = sync`: mma.sync,
    sm_80+; `mma = wgmma`: Hopper warpgroup MMA, sm_90a; absent: not fixed),
    whether the forward is the warp-specialized kernel (`warp_specialized`:
    a producer warpgroup beside the consumer warps; its `ctas_per_sm` is its
    launch bound, which fixes the register split), and what that costs:
    shared memory per CTA, registers per thread (the consumers', when
    warp-specialized), CTAs per SM. Zero means "not fixed" in a user
    override; there `warp_specialized = false` forces the plain kernel.

    ```mlir
    #attn.tiling<block_m = 128, block_n = 64, warps = 4, stages = 2, q_in_registers,
                 smem_bytes = 65536, regs_per_thread = 232, ctas_per_sm = 1>
    #attn.tiling<block_m = 64, block_n = 64, warps = 4, stages = 2, smem_bytes = 42112,
                 regs_per_thread = 128, ctas_per_sm = 3, mma = wgmma, warp_specialized>
    ```
  }];
  let parameters = (ins
    "int64_t":$blockM, "int64_t":$blockN, "int64_t":$warps, "int64_t":$stages,
    "bool":$qInRegisters, "int64_t":$smemBytes, "int64_t":$regsPerThread,
    "int64_t":$ctasPerSM, "int64_t":$mma,
    // 1: warp-specialized; 0: plain (free in an override); -1: plain, forced.
    "int64_t":$warpSpecialized);
  let hasCustomAssemblyFormat = 1;
}

#endif // FLASHGEN_DIALECT_ATTN_IR_ATTNATTRS_TD
