// Tests attn-pack-query-heads' refusals: what a packed launch cannot
// express is an error at the variant naming why.
// RUN: flashgen-opt %s -split-input-file -attn-pack-query-heads="group=4" -verify-diagnostics

// expected-error @+1 {{packing query heads: dropout draws per (head, query)}}
attn.variant @drop attributes {dropout = 0.1 : f64, dtype = #attn<dtype bf16>, heads = 8 : i64, kv_heads = 2 : i64, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 0.125 : f64, target = #attn<target sm_90a>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// expected-error @+1 {{packing query heads: tensor 'doc' has a query-sized extent}}
attn.variant @doc attributes {dropout = 0.0 : f64, dtype = #attn<dtype bf16>, heads = 8 : i64, kv_heads = 2 : i64, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 0.125 : f64, target = #attn<target sm_90a>, tensors = [#attn.tensor<"doc", i32, ["seq_q"]>], v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = attn.lookup "doc"[%q] : i32
  %c0 = arith.constant 0 : i32
  %1 = arith.cmpi sgt, %0, %c0 : i32
  attn.yield %1 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// expected-error @+1 {{packing query heads: kv_heads = 4 is not 8 / 4}}
attn.variant @ratio attributes {dropout = 0.0 : f64, dtype = #attn<dtype bf16>, heads = 8 : i64, kv_heads = 4 : i64, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 0.125 : f64, target = #attn<target sm_90a>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}
