// Tests attn-canonicalize-exprs: constants fold, duplicates merge (CSE), dead
// ops go, identities simplify; only the regions change.
// RUN: flashgen-opt %s -split-input-file -attn-canonicalize-exprs | FileCheck %s

// CHECK-LABEL: attn.variant @folds
// CHECK-SAME: qk_head_dim = 64
// CHECK: mask {
// CHECK-DAG: %[[C6:.+]] = arith.constant 6 : i32
// CHECK-DAG: %[[C127:.+]] = arith.constant -127 : i32
// CHECK: %[[D:.+]] = arith.subi %k, %q : i32
// CHECK-NEXT: %[[M:.+]] = arith.maxsi %[[D]], %[[C127]] : i32
// CHECK-NEXT: %[[R:.+]] = arith.cmpi slt, %[[M]], %[[C6]] : i32
// CHECK-NEXT: attn.yield %[[R]] : i1
attn.variant @folds attributes {dropout = 0.0 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 0.125 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %c0 = arith.constant 0 : i32
  %c127 = arith.constant 127 : i32
  %neg = arith.subi %c0, %c127 : i32
  %c2 = arith.constant 2 : i32
  %c3 = arith.constant 3 : i32
  %six = arith.muli %c2, %c3 : i32
  %d = arith.subi %k, %q : i32
  %d0 = arith.addi %d, %c0 : i32
  %dead = arith.muli %d, %c3 : i32
  %m = arith.maxsi %d0, %neg : i32
  %r = arith.cmpi slt, %m, %six : i32
  attn.yield %r : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// Common subexpressions in the score region merge.
// CHECK-LABEL: attn.variant @cse
// CHECK: score {
// CHECK: %[[L:.+]] = attn.lookup "t"[%h] : f32
// CHECK-NOT: attn.lookup
// CHECK: arith.mulf %[[L]], %[[L]] : f32
attn.variant @cse attributes {dropout = 0.0 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 0.125 : f64, target = #attn<target native>, tensors = [#attn.tensor<"t", f32, ["heads"]>], v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %a = attn.lookup "t"[%h] : f32
  %c = attn.lookup "t"[%h] : f32
  %p = arith.mulf %a, %c : f32
  %s = arith.addf %score, %p : f32
  attn.yield %s : f32
}

// -----

// A mask that folds to a constant: `q >= q` is always true.
// CHECK-LABEL: attn.variant @always
// CHECK: mask {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: %[[T:.+]] = arith.constant true
// CHECK-NEXT: attn.yield %[[T]] : i1
attn.variant @always attributes {dropout = 0.0 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 0.125 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %r = arith.cmpi sge, %q, %q : i32
  attn.yield %r : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}
