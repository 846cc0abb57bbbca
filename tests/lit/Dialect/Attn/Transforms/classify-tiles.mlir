// Tests attn-classify-tiles: the tile map (E empty, F full, P partial) and
// census of masks and sparsity patterns, for 256 x 256 with 32 x 32 tiles.
// RUN: flashgen-opt %s -split-input-file -attn-classify-tiles="seq-q=256 seq-k=256 block-m=32 block-n=32" | FileCheck %s
// RUN: flashgen-opt %s -split-input-file -attn-classify-tiles="seq-q=100 seq-k=250 block-m=32 block-n=64" | FileCheck %s --check-prefix=ODD
// RUN: flashgen-opt %s -split-input-file -attn-classify-tiles="seq-q=4096 seq-k=4096 block-m=32 block-n=32" | FileCheck %s --check-prefix=BIG

// Causal: the diagonal tiles are partial, everything above it skipped.
// CHECK-LABEL: attn.variant @causal
// CHECK-SAME: attn.tile_census = {block_m = 32 : i64, block_n = 32 : i64, empty = 28 : i64, full = 28 : i64, partial = 8 : i64, total = 64 : i64}
// CHECK-SAME: attn.tile_map = ["PEEEEEEE", "FPEEEEEE", "FFPEEEEE", "FFFPEEEE", "FFFFPEEE", "FFFFFPEE", "FFFFFFPE", "FFFFFFFP"]
// Odd sizes: 100 x 250 has ragged last tiles; census counts them once.
// ODD-LABEL: attn.variant @causal
// ODD-SAME: attn.tile_census = {block_m = 32 : i64, block_n = 64 : i64, empty = 10 : i64, full = 2 : i64, partial = 4 : i64, total = 16 : i64}
// ODD-SAME: attn.tile_map = ["PEEE", "PEEE", "FPEE", "FPEE"]
// Large shapes: census only, no map (max-map-blocks).
// BIG-LABEL: attn.variant @causal
// BIG-SAME: attn.tile_census = {block_m = 32 : i64, block_n = 32 : i64, empty = 8128 : i64, full = 8128 : i64, partial = 128 : i64, total = 16384 : i64}
// BIG-NOT: attn.tile_map
attn.variant @causal attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = arith.cmpi sle, %k, %q : i32
  attn.yield %0 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// Bottom-right alignment shifts the band by seq_k - seq_q = 150 in ODD.
// CHECK-LABEL: attn.variant @causal_br
// CHECK-SAME: attn.tile_map = ["PEEEEEEE", "FPEEEEEE", "FFPEEEEE", "FFFPEEEE", "FFFFPEEE", "FFFFFPEE", "FFFFFFPE", "FFFFFFFP"]
// ODD-LABEL: attn.variant @causal_br
// ODD-SAME: attn.tile_map = ["FFPE", "FFPP", "FFFP", "FFFP"]
attn.variant @causal_br attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = arith.subi %seq_k, %seq_q : i32
  %1 = arith.addi %q, %0 : i32
  %2 = arith.cmpi sle, %k, %1 : i32
  attn.yield %2 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// A window of 64: two tiles wide, partial at both edges.
// CHECK-LABEL: attn.variant @window
// CHECK-SAME: attn.tile_map = ["PEEEEEEE", "FPEEEEEE", "PFPEEEEE", "EPFPEEEE", "EEPFPEEE", "EEEPFPEE", "EEEEPFPE", "EEEEEPFP"]
attn.variant @window attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %c64_i32 = arith.constant 64 : i32
  %0 = arith.subi %q, %c64_i32 : i32
  %1 = arith.cmpi sle, %0, %k : i32
  %2 = arith.cmpi sle, %k, %q : i32
  %3 = arith.andi %1, %2 : i1
  attn.yield %3 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// A lookup (document ids) is unknown until run time: every tile is partial.
// CHECK-LABEL: attn.variant @document
// CHECK-SAME: attn.tile_census = {block_m = 32 : i64, block_n = 32 : i64, empty = 0 : i64, full = 0 : i64, partial = 64 : i64, total = 64 : i64}
attn.variant @document attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, tensors = [#attn.tensor<"doc", i32, ["batch", "seq_k"]>], v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = attn.lookup "doc"[%b, %q] : i32
  %1 = attn.lookup "doc"[%b, %k] : i32
  %2 = arith.cmpi eq, %0, %1 : i32
  attn.yield %2 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// Integer division and remainder stay exact at tile granularity: a checkerboard.
// CHECK-LABEL: attn.variant @checkerboard
// CHECK-SAME: attn.tile_map = ["FEFEFEFE", "EFEFEFEF", "FEFEFEFE", "EFEFEFEF", "FEFEFEFE", "EFEFEFEF", "FEFEFEFE", "EFEFEFEF"]
attn.variant @checkerboard attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %c32_i32 = arith.constant 32 : i32
  %0 = arith.divsi %q, %c32_i32 : i32
  %c32_i32_0 = arith.constant 32 : i32
  %1 = arith.divsi %k, %c32_i32_0 : i32
  %2 = arith.addi %0, %1 : i32
  %c2_i32 = arith.constant 2 : i32
  %3 = arith.remsi %2, %c2_i32 : i32
  %c0_i32 = arith.constant 0 : i32
  %4 = arith.cmpi eq, %3, %c0_i32 : i32
  attn.yield %4 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// Butterfly sparsity: block (i, j) kept iff i == j or i xor j is a power of two.
// CHECK-LABEL: attn.variant @butterfly
// CHECK-SAME: attn.tile_map = ["FFFEFEEE", "FFEFEFEE", "FEFFEEFE", "EFFFEEEF", "FEEEFFFE", "EFEEFFEF", "EEFEFEFF", "EEEFEFFF"]
attn.variant @butterfly attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, sparsity = #attn.sparsity<butterfly, block_size = 32>, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// Local sparsity (64-wide blocks) over 32-wide tiles AND causal.
// CHECK-LABEL: attn.variant @local_causal
// CHECK-SAME: attn.tile_map = ["PEEEEEEE", "FPEEEEEE", "EEPEEEEE", "EEFPEEEE", "EEEEPEEE", "EEEEFPEE", "EEEEEEPE", "EEEEEEFP"]
attn.variant @local_causal attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, sparsity = #attn.sparsity<local, block_size = 64, width = 1>, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = arith.cmpi sle, %k, %q : i32
  attn.yield %0 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}
