//===- Passes.td - attn dialect passes --------------------------*- tablegen -*-===//
//
// The decisions FlashAttention makes by hand, as passes that can be read,
// tested and explained. Typical order:
//   attn-canonicalize-exprs, attn-recognize-shapes, attn-plan-tiling,
//   then attn-classify-tiles / attn-estimate-io for a given shape.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DIALECT_ATTN_TRANSFORMS_PASSES_TD
#define FLASHGEN_DIALECT_ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnCanonicalizeExprs : Pass<"attn-canonicalize-exprs", "::mlir::ModuleOp"> {
  let summary = "Canonicalize, fold and CSE the mask and score regions";
  let description = [{
    Runs the arith/math canonicalization patterns and CSE on the regions of
    every attn.variant, folding constants.

    Before: `%0 = arith.subi %c0, %c127` ... `arith.maxsi %x, %0`
    After:  `%c-127 = arith.constant -127` ... `arith.maxsi %x, %c-127`
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def AttnRecognizeShapes : Pass<"attn-recognize-shapes", "::mlir::ModuleOp"> {
  let summary = "Recognize standard mask and score forms";
  let description = [{
    Sets `mask_shape` (none, a diagonal band such as causal or a sliding
    window, a band AND other conditions, or generic) and `score_shape`
    (identity, softcap, ALiBi, additive bias, generic) so codegen can use
    closed-form kv-loop bounds and specialized code, and the backward pass
    the right score derivative.

    Before: `mask { %0 = arith.cmpi sle, %k, %q ... }`
    After:  `attn.variant @v attributes {mask_shape = #attn.mask_shape<band, upper = 0>, ...}`
  }];
}

def AttnPlanTiling : Pass<"attn-plan-tiling", "::mlir::ModuleOp"> {
  let summary = "Choose tile sizes, warps and stages from the SRAM budget";
  let description = [{
    For the variant's target (or `arch`), picks the forward tiling and, if
    the backward pass is requested, the backward tiling, honouring the
    spec's `tile_override`. Records the choice in `fwd_tiling` /
    `bwd_tiling` and the reasons in `tiling_notes`. Fails with a message
    naming the limit when nothing fits.

    After: `fwd_tiling = #attn.tiling<block_m = 128, block_n = 64, ...>`
  }];
  let options = [
    Option<"arch", "arch", "std::string", /*default=*/"\"\"",
           "Target architecture (sm_80, sm_86, sm_89, sm_90a); default: the "
           "variant's target, sm_90a for 'native'">,
  ];
}

def AttnClassifyTiles : Pass<"attn-classify-tiles", "::mlir::ModuleOp"> {
  let summary = "Classify every tile as empty, full or partial for a shape";
  let description = [{
    Evaluates the mask over each Br x Bc tile of a seq-q x seq-k score
    matrix with interval arithmetic and records the census in
    `attn.tile_census` and, for small shapes, a map in `attn.tile_map`
    (one string per row block: `E` empty, `F` full, `P` partial). Tile sizes
    come from `fwd_tiling` unless given.

    After: `attn.tile_map = ["FPEE", "FFPE", "FFFP", "FFFF"]`
  }];
  let options = [
    Option<"seqQ", "seq-q", "int64_t", /*default=*/"1024", "Query length">,
    Option<"seqK", "seq-k", "int64_t", /*default=*/"1024", "Key length">,
    Option<"blockM", "block-m", "int64_t", /*default=*/"0",
           "Rows per tile (default: fwd_tiling, else 128)">,
    Option<"blockN", "block-n", "int64_t", /*default=*/"0",
           "Columns per tile (default: fwd_tiling, else 128)">,
    Option<"maxMapBlocks", "max-map-blocks", "int64_t", /*default=*/"64",
           "Write attn.tile_map only up to this many row and column blocks">,
  ];
}

def AttnEstimateIO : Pass<"attn-estimate-io", "::mlir::ModuleOp"> {
  let summary = "Predict HBM traffic, FLOPs and roofline time for a shape";
  let description = [{
    Runs the IO cost model for flashgen's tiled kernel and for standard
    (unfused) attention, recording every term in `attn.io`. Needs
    `fwd_tiling` (run attn-plan-tiling first).

    After: `attn.io = {flashgen = {read_bytes = ..., ...}, standard = {...}}`
  }];
  let options = [
    Option<"batch", "batch", "int64_t", /*default=*/"1", "Batch size">,
    Option<"heads", "heads", "int64_t", /*default=*/"0",
           "Query heads (default: the variant's, else 1)">,
    Option<"seqQ", "seq-q", "int64_t", /*default=*/"1024", "Query length">,
    Option<"seqK", "seq-k", "int64_t", /*default=*/"1024", "Key length">,
    Option<"arch", "arch", "std::string", /*default=*/"\"\"",
           "Target architecture; default as attn-plan-tiling">,
  ];
}

def AttnPackQueryHeads : Pass<"attn-pack-query-heads", "::mlir::ModuleOp"> {
  let summary = "Rewrite a GQA variant so one kv head's query heads are rows of one launch";
  let description = [{
    For decoding: a kv head's `group` query heads share its K and V, so
    their rows can be one launch's rows (GQA packing): the packed launch
    has kv_heads heads (h' is the kv head) and group x seq_q rows, row
    r = j * seq_q + q for query head h' * group + j. The expressions are
    rewritten in those terms (q := r % seq_q, h := h' * group + r / seq_q,
    seq_q := seq_q' / group; with `single-query`, seq_q = 1: q := 0,
    h := h' * group + r), so every mask and score modifier keeps its
    meaning; heads = kv_heads, and a tensor extent `heads` becomes the
    number `heads`. Fails (naming why) for what a packed launch cannot
    express: dropout (its random stream is per (h, q)), varlen, run-time
    block sparsity, tensors with query-sized extents.

    Before: `mask { ^bb0(%b, %h, %q, %k, %seq_q, %seq_k): arith.cmpi sle, %k, %q }`
    After (single-query, group 4): `%0 = arith.subi %seq_k, 1` ... `arith.cmpi sle, %k, %0`
  }];
  let options = [
    Option<"group", "group", "int64_t", /*default=*/"0",
           "Query heads per kv head (> 1)">,
    Option<"heads", "heads", "int64_t", /*default=*/"0",
           "Query heads of the launch (the spec's if it fixes them)">,
    Option<"singleQuery", "single-query", "bool", /*default=*/"false",
           "The launch has one query row per head (decoding)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

#endif // FLASHGEN_DIALECT_ATTN_TRANSFORMS_PASSES_TD
