// Tests GQA packing: the expressions rewritten in the packed launch's terms
// (h' the kv head, r the row), heads = kv_heads, a `heads` extent made a
// number (refusals: pack-query-heads-invalid.mlir).
// RUN: flashgen-opt %s --attn-pack-query-heads="group=4 single-query=true" | FileCheck %s --check-prefix=SINGLE
// RUN: flashgen-opt %s --attn-pack-query-heads="group=4" | FileCheck %s --check-prefix=ROWS

// SINGLE-LABEL: attn.variant @alibi
// SINGLE-SAME: heads = 8 : i64, kv_heads = 8 : i64
// SINGLE-SAME: #attn.tensor<"slopes", f32, [32]>
// SINGLE: mask {
// SINGLE-NEXT: ^bb0(%[[B:.*]]: i32, %[[H:.*]]: i32, %[[Q:.*]]: i32, %[[K:.*]]: i32, %[[SQ:.*]]: i32, %[[SK:.*]]: i32):
// SINGLE-DAG: %[[ONE:.*]] = arith.constant 1 : i32
// SINGLE-DAG: %[[ZERO:.*]] = arith.constant 0 : i32
// SINGLE-DAG: %[[G:.*]] = arith.constant 4 : i32
// SINGLE: %[[HG:.*]] = arith.muli %[[H]], %[[G]]
// SINGLE: %[[HQ:.*]] = arith.addi %[[HG]], %[[Q]]
// SINGLE: %[[D:.*]] = arith.subi %[[SK]], %[[ONE]]
// SINGLE: arith.addi %[[ZERO]], %[[D]]
// SINGLE: score {
// SINGLE: %[[SHG:.*]] = arith.muli
// SINGLE: %[[SH:.*]] = arith.addi %[[SHG]]
// SINGLE: attn.lookup "slopes"[%[[SH]]]

// ROWS-LABEL: attn.variant @alibi
// ROWS: mask {
// ROWS-NEXT: ^bb0(%[[B:.*]]: i32, %[[H:.*]]: i32, %[[Q:.*]]: i32, %[[K:.*]]: i32, %[[SQ:.*]]: i32, %[[SK:.*]]: i32):
// ROWS: %[[G:.*]] = arith.constant 4 : i32
// ROWS: %[[N:.*]] = arith.divsi %[[SQ]], %[[G]]
// ROWS: %[[QQ:.*]] = arith.remsi %[[Q]], %[[N]]
// ROWS: %[[J:.*]] = arith.divsi %[[Q]], %[[N]]
// ROWS: arith.subi %[[SK]], %[[N]]
// ROWS: arith.addi %[[QQ]]
module {
  attn.variant @alibi attributes {dropout = 0.0 : f64, dtype = #attn<dtype bf16>, heads = 32 : i64, kv_heads = 8 : i64, passes = #attn.passes<forward>, qk_head_dim = 128 : i64, scale = 0.088 : f64, target = #attn<target sm_90a>, tensors = [#attn.tensor<"slopes", f32, ["heads"]>], v_head_dim = 128 : i64} mask {
  ^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
    %0 = arith.subi %seq_k, %seq_q : i32
    %1 = arith.addi %q, %0 : i32
    %2 = arith.cmpi sle, %k, %1 : i32
    attn.yield %2 : i1
  } score {
  ^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
    %0 = attn.lookup "slopes"[%h] : f32
    %1 = arith.subi %q, %k : i32
    %2 = arith.sitofp %1 : i32 to f32
    %3 = arith.mulf %0, %2 : f32
    %4 = arith.subf %score, %3 : f32
    attn.yield %4 : f32
  }
}

