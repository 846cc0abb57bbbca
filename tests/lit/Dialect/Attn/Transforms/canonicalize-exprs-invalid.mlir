// Tests attn-canonicalize-exprs' refusals (checkExpressions): an integer
// divisor that folds to zero (the kernels' result would be undefined) and a
// lookup index always outside its extent, each an error at its op.
// RUN: flashgen-opt %s -split-input-file -attn-canonicalize-exprs -verify-diagnostics

attn.variant @div_by_folded_zero attributes {dropout = 0.0 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 0.125 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %z = arith.subi %k, %k : i32
  // expected-error @+1 {{integer division by zero: the divisor is always 0}}
  %d = arith.divsi %q, %z : i32
  %c0 = arith.constant 0 : i32
  %m = arith.cmpi eq, %d, %c0 : i32
  attn.yield %m : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

attn.variant @rem_by_zero_in_score attributes {dropout = 0.0 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 0.125 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %c0 = arith.constant 0 : i32
  // expected-error @+1 {{integer remainder by zero: the divisor is always 0}}
  %r = arith.remsi %q, %c0 : i32
  %f = arith.sitofp %r : i32 to f32
  %s = arith.addf %score, %f : f32
  attn.yield %s : f32
}

// -----

// A lookup index outside the numeric extent wherever the kernels evaluate
// it (k % 4 + 4 of an i32[4]); t[k] itself may be in range and is not one.
attn.variant @lookup_always_out attributes {dropout = 0.0 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 0.125 : f64, target = #attn<target native>, tensors = [#attn.tensor<"t", i32, [4]>], v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %c4 = arith.constant 4 : i32
  %m = arith.remsi %k, %c4 : i32
  %i = arith.addi %m, %c4 : i32
  // expected-error @+1 {{index 0 of 't' is always outside [0, 4): it lies in [4, 7]}}
  %x = attn.lookup "t"[%i] : i32
  %y = attn.lookup "t"[%k] : i32
  %c0 = arith.constant 0 : i32
  %s = arith.addi %x, %y : i32
  %r = arith.cmpi sgt, %s, %c0 : i32
  attn.yield %r : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}
