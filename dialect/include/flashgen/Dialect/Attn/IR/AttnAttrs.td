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
    #attn.sparsity<layout, block_size = 64, rows = 2, cols = 2, layout = array<i64: 1, 0, 1, 1>>
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

#endif // FLASHGEN_DIALECT_ATTN_IR_ATTNATTRS_TD
