// Tests attn-recognize-shapes: band masks (causal, windows, alignments), their
// residuals, and the score forms (identity, softcap, ALiBi, additive, generic).
// RUN: flashgen-opt %s -split-input-file -attn-recognize-shapes | FileCheck %s

// causal: k <= q bounds d = k - q above by 0
// CHECK-LABEL: attn.variant @causal
// CHECK-SAME: mask_shape = #attn.mask_shape<band, upper = 0>
// CHECK-SAME: score_shape = #attn.score_shape<identity>
attn.variant @causal attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = arith.cmpi sle, %k, %q : i32
  attn.yield %0 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// bottom-right causal: the offset seq_k - seq_q is recognized as the alignment
// CHECK-LABEL: attn.variant @causal_br
// CHECK-SAME: mask_shape = #attn.mask_shape<band, upper = 0, bottom_right>
// CHECK-SAME: score_shape = #attn.score_shape<identity>
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

// sliding window: both sides of the band
// CHECK-LABEL: attn.variant @window
// CHECK-SAME: mask_shape = #attn.mask_shape<band, lower = -256, upper = 0>
// CHECK-SAME: score_shape = #attn.score_shape<identity>
attn.variant @window attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %c256_i32 = arith.constant 256 : i32
  %0 = arith.subi %q, %c256_i32 : i32
  %1 = arith.cmpi sle, %0, %k : i32
  %2 = arith.cmpi sle, %k, %q : i32
  %3 = arith.andi %1, %2 : i1
  attn.yield %3 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// window with a look-ahead, bottom-right aligned
// CHECK-LABEL: attn.variant @window2
// CHECK-SAME: mask_shape = #attn.mask_shape<band, lower = -16, upper = 8, bottom_right>
// CHECK-SAME: score_shape = #attn.score_shape<identity>
attn.variant @window2 attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = arith.subi %seq_k, %seq_q : i32
  %1 = arith.addi %q, %0 : i32
  %c16_i32 = arith.constant 16 : i32
  %2 = arith.subi %1, %c16_i32 : i32
  %3 = arith.cmpi sle, %2, %k : i32
  %4 = arith.subi %seq_k, %seq_q : i32
  %5 = arith.addi %q, %4 : i32
  %c8_i32 = arith.constant 8 : i32
  %6 = arith.addi %5, %c8_i32 : i32
  %7 = arith.cmpi sle, %k, %6 : i32
  %8 = arith.andi %3, %7 : i1
  attn.yield %8 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// negated and reversed comparisons; the tighter of two upper bounds wins
// CHECK-LABEL: attn.variant @reversed
// CHECK-SAME: mask_shape = #attn.mask_shape<band, upper = 0>
// CHECK-SAME: score_shape = #attn.score_shape<identity>
attn.variant @reversed attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = arith.cmpi sgt, %k, %q : i32
  %true = arith.constant true
  %1 = arith.xori %0, %true : i1
  %c3_i32 = arith.constant 3 : i32
  %2 = arith.subi %k, %c3_i32 : i32
  %3 = arith.cmpi sge, %q, %2 : i32
  %4 = arith.andi %1, %3 : i1
  attn.yield %4 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// a band AND a lookup: band_and keeps the band for loop bounds
// CHECK-LABEL: attn.variant @doc
// CHECK-SAME: mask_shape = #attn.mask_shape<band_and, upper = 0>
// CHECK-SAME: score_shape = #attn.score_shape<identity>
attn.variant @doc attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, tensors = [#attn.tensor<"doc", i32, ["batch", "seq_k"]>], v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = arith.cmpi sle, %k, %q : i32
  %1 = attn.lookup "doc"[%b, %q] : i32
  %2 = attn.lookup "doc"[%b, %k] : i32
  %3 = arith.cmpi eq, %1, %2 : i32
  %4 = arith.andi %0, %3 : i1
  attn.yield %4 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// no band at all
// CHECK-LABEL: attn.variant @generic
// CHECK-SAME: mask_shape = #attn.mask_shape<generic>
// CHECK-SAME: score_shape = #attn.score_shape<identity>
attn.variant @generic attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %c2_i32 = arith.constant 2 : i32
  %0 = arith.remsi %q, %c2_i32 : i32
  %c0_i32 = arith.constant 0 : i32
  %1 = arith.cmpi eq, %0, %c0_i32 : i32
  attn.yield %1 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// constant true
// CHECK-LABEL: attn.variant @none
// CHECK-SAME: mask_shape = #attn.mask_shape<none>
// CHECK-SAME: score_shape = #attn.score_shape<identity>
attn.variant @none attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// k <= seq_k - 1 holds for every key (GQA packing's single-query causal):
// no mask at all
// CHECK-LABEL: attn.variant @every_key
// CHECK-SAME: mask_shape = #attn.mask_shape<none>
attn.variant @every_key attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %0 = arith.subi %seq_k, %c1 : i32
  %1 = arith.addi %c0, %0 : i32
  %2 = arith.cmpi sle, %k, %1 : i32
  attn.yield %2 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// k <= seq_k - 2 drops the last key: a condition, not a band
// CHECK-LABEL: attn.variant @last_key_dropped
// CHECK-SAME: mask_shape = #attn.mask_shape<generic>
attn.variant @last_key_dropped attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %c2 = arith.constant 2 : i32
  %0 = arith.subi %seq_k, %c2 : i32
  %1 = arith.cmpi sle, %k, %0 : i32
  attn.yield %1 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// causal and a bound every key satisfies: the band alone
// CHECK-LABEL: attn.variant @causal_every_key
// CHECK-SAME: mask_shape = #attn.mask_shape<band, upper = 0>
attn.variant @causal_every_key attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = arith.cmpi sle, %k, %q : i32
  %1 = arith.cmpi slt, %k, %seq_k : i32
  %2 = arith.andi %0, %1 : i1
  attn.yield %2 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// mixed alignments cannot form one band: the second is residual
// CHECK-LABEL: attn.variant @mixed
// CHECK-SAME: mask_shape = #attn.mask_shape<band_and, upper = 0>
// CHECK-SAME: score_shape = #attn.score_shape<identity>
attn.variant @mixed attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = arith.cmpi sle, %k, %q : i32
  %1 = arith.subi %seq_k, %seq_q : i32
  %2 = arith.addi %q, %1 : i32
  %3 = arith.cmpi sle, %k, %2 : i32
  %4 = arith.andi %0, %3 : i1
  attn.yield %4 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// a condition on h is not a band condition
// CHECK-LABEL: attn.variant @bandh
// CHECK-SAME: mask_shape = #attn.mask_shape<band_and, upper = 0>
// CHECK-SAME: score_shape = #attn.score_shape<identity>
attn.variant @bandh attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = arith.cmpi sle, %k, %q : i32
  %c2_i32 = arith.constant 2 : i32
  %1 = arith.cmpi slt, %h, %c2_i32 : i32
  %2 = arith.andi %0, %1 : i1
  attn.yield %2 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// no score modifier
// CHECK-LABEL: attn.variant @identity
// CHECK-SAME: mask_shape = #attn.mask_shape<none>
// CHECK-SAME: score_shape = #attn.score_shape<identity>
attn.variant @identity attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// cap * tanh(score / cap)
// CHECK-LABEL: attn.variant @softcap
// CHECK-SAME: mask_shape = #attn.mask_shape<none>
// CHECK-SAME: score_shape = #attn.score_shape<softcap, cap = 3.000000e+01>
attn.variant @softcap attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %cst = arith.constant 3.000000e+01 : f32
  %cst_0 = arith.constant 3.000000e+01 : f32
  %0 = arith.divf %score, %cst_0 : f32
  %1 = math.tanh %0 : f32
  %2 = arith.mulf %cst, %1 : f32
  attn.yield %2 : f32
}

// -----

// tanh(score * (1/cap)) * cap, factors swapped
// CHECK-LABEL: attn.variant @softcap_mul
// CHECK-SAME: mask_shape = #attn.mask_shape<none>
// CHECK-SAME: score_shape = #attn.score_shape<softcap, cap = 5.000000e+01>
attn.variant @softcap_mul attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %cst = arith.constant 2.000000e-02 : f32
  %0 = arith.mulf %score, %cst : f32
  %1 = math.tanh %0 : f32
  %cst_0 = arith.constant 5.000000e+01 : f32
  %2 = arith.mulf %1, %cst_0 : f32
  attn.yield %2 : f32
}

// -----

// score - slope[h] * (q - k) is ALiBi with sign +1 (score + slope * (k - q))
// CHECK-LABEL: attn.variant @alibi
// CHECK-SAME: mask_shape = #attn.mask_shape<none>
// CHECK-SAME: score_shape = #attn.score_shape<alibi, tensor = "slopes", sign = 1>
attn.variant @alibi attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, heads = 8 : i64, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, tensors = [#attn.tensor<"slopes", f32, ["heads"]>], v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = attn.lookup "slopes"[%h] : f32
  %1 = arith.subi %q, %k : i32
  %2 = arith.sitofp %1 : i32 to f32
  %3 = arith.mulf %0, %2 : f32
  %4 = arith.subf %score, %3 : f32
  attn.yield %4 : f32
}

// -----

// slope[h] * (k - q) + score, operands swapped
// CHECK-LABEL: attn.variant @alibi_plus
// CHECK-SAME: mask_shape = #attn.mask_shape<none>
// CHECK-SAME: score_shape = #attn.score_shape<alibi, tensor = "m", sign = 1>
attn.variant @alibi_plus attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, heads = 8 : i64, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, tensors = [#attn.tensor<"m", f32, ["heads"]>], v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = attn.lookup "m"[%h] : f32
  %1 = arith.subi %k, %q : i32
  %2 = arith.sitofp %1 : i32 to f32
  %3 = arith.mulf %0, %2 : f32
  %4 = arith.addf %3, %score : f32
  attn.yield %4 : f32
}

// -----

// an additive table lookup: d(score)/d(score) = 1, not ALiBi
// CHECK-LABEL: attn.variant @bias
// CHECK-SAME: mask_shape = #attn.mask_shape<none>
// CHECK-SAME: score_shape = #attn.score_shape<additive>
attn.variant @bias attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, heads = 4 : i64, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, tensors = [#attn.tensor<"rel", f32, ["heads", 255]>], v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = arith.subi %k, %q : i32
  %c-127_i32 = arith.constant -127 : i32
  %c127_i32 = arith.constant 127 : i32
  %1 = arith.maxsi %0, %c-127_i32 : i32
  %2 = arith.minsi %1, %c127_i32 : i32
  %c127_i32_0 = arith.constant 127 : i32
  %3 = arith.addi %2, %c127_i32_0 : i32
  %4 = attn.lookup "rel"[%h, %3] : f32
  %5 = arith.addf %score, %4 : f32
  attn.yield %5 : f32
}

// -----

// score * score reads score twice: generic
// CHECK-LABEL: attn.variant @generic_score
// CHECK-SAME: mask_shape = #attn.mask_shape<none>
// CHECK-SAME: score_shape = #attn.score_shape<generic>
attn.variant @generic_score attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = arith.mulf %score, %score : f32
  attn.yield %0 : f32
}
