// Round trip of attn.variant / attn.lookup / attn.yield and every attn attribute, in custom and generic form.
// RUN: flashgen-opt %s -split-input-file | flashgen-opt -split-input-file | FileCheck %s
// RUN: flashgen-opt %s -split-input-file --mlir-print-op-generic | flashgen-opt -split-input-file | FileCheck %s

// The smallest variant: required attributes only, attend everywhere, score
// unchanged. Region arguments print as b, h, q, k, seq_q, seq_k (and score),
// whatever the input called them.
// CHECK-LABEL: attn.variant @minimal attributes
// CHECK-SAME:    {dropout = 0.000000e+00 : f64, dtype = #attn<dtype f16>, passes = #attn.passes<forward>,
// CHECK-SAME:    qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target sm_80>, v_head_dim = 64 : i64} mask {
// CHECK-NEXT:  ^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
// CHECK-NEXT:    %[[T:.+]] = arith.constant true
// CHECK-NEXT:    attn.yield %[[T]] : i1
// CHECK-NEXT:  } score {
// CHECK-NEXT:  ^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
// CHECK-NEXT:    attn.yield %score : f32
// CHECK-NEXT:  }
attn.variant @minimal attributes {dtype = #attn<dtype f16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target sm_80>} mask {
^bb0(%x0: i32, %x1: i32, %x2: i32, %x3: i32, %x4: i32, %x5: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %x0: i32, %x1: i32, %x2: i32, %x3: i32, %x4: i32, %x5: i32):
  attn.yield %s : f32
}

// -----

// heads/kv_heads, qk != v head dims, dropout, both passes (printed in bit
// order whatever the input order), sm_90a, varlen, and a bottom-right causal
// mask.
// CHECK-LABEL: attn.variant @gqa attributes
// CHECK-SAME:    dropout = 1.000000e-01 : f64
// CHECK-SAME:    dtype = #attn<dtype bf16>
// CHECK-SAME:    heads = 32 : i64
// CHECK-SAME:    kv_heads = 8 : i64
// CHECK-SAME:    passes = #attn.passes<forward, backward>
// CHECK-SAME:    qk_head_dim = 192 : i64
// CHECK-SAME:    scale = 0.072168783648703216 : f64
// CHECK-SAME:    target = #attn<target sm_90a>
// CHECK-SAME:    v_head_dim = 128 : i64
// CHECK-SAME:    varlen} mask {
// CHECK-NEXT:  ^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
// CHECK-NEXT:    %[[D:.+]] = arith.subi %seq_k, %seq_q : i32
// CHECK-NEXT:    %[[QA:.+]] = arith.addi %q, %[[D]] : i32
// CHECK-NEXT:    %[[M:.+]] = arith.cmpi sle, %k, %[[QA]] : i32
// CHECK-NEXT:    attn.yield %[[M]] : i1
attn.variant @gqa attributes {dtype = #attn<dtype bf16>, qk_head_dim = 192 : i64, v_head_dim = 128 : i64, heads = 32 : i64, kv_heads = 8 : i64, scale = 0.072168783648703216 : f64, dropout = 0.1 : f64, passes = #attn.passes<backward, forward>, target = #attn<target sm_90a>, varlen} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %0 = arith.subi %sk, %sq : i32
  %1 = arith.addi %q, %0 : i32
  %2 = arith.cmpi sle, %k, %1 : i32
  attn.yield %2 : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// Every dtype (fp8 is reserved: the frontend refuses it, the IR can name it)
// and every target.
// CHECK-LABEL: attn.variant @f16_sm86 attributes
// CHECK-SAME:    dtype = #attn<dtype f16>
// CHECK-SAME:    target = #attn<target sm_86>
// CHECK-LABEL: attn.variant @bf16_sm89 attributes
// CHECK-SAME:    dtype = #attn<dtype bf16>
// CHECK-SAME:    target = #attn<target sm_89>
// CHECK-LABEL: attn.variant @e4m3_native attributes
// CHECK-SAME:    dtype = #attn<dtype fp8_e4m3>
// CHECK-SAME:    target = #attn<target native>
// CHECK-LABEL: attn.variant @e5m2_sm90a attributes
// CHECK-SAME:    dtype = #attn<dtype fp8_e5m2>
// CHECK-SAME:    target = #attn<target sm_90a>
attn.variant @f16_sm86 attributes {dtype = #attn<dtype f16>, qk_head_dim = 128 : i64, v_head_dim = 128 : i64, scale = 1.0 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target sm_86>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}
attn.variant @bf16_sm89 attributes {dtype = #attn<dtype bf16>, qk_head_dim = 128 : i64, v_head_dim = 128 : i64, scale = 1.0 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target sm_89>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}
attn.variant @e4m3_native attributes {dtype = #attn<dtype fp8_e4m3>, qk_head_dim = 128 : i64, v_head_dim = 128 : i64, scale = 1.0 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}
attn.variant @e5m2_sm90a attributes {dtype = #attn<dtype fp8_e5m2>, qk_head_dim = 128 : i64, v_head_dim = 128 : i64, scale = 1.0 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target sm_90a>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// Sparsity patterns. Parameters parse in any order; parameters at their
// default (0) are not printed.
// CHECK-LABEL: attn.variant @local attributes
// CHECK-SAME:    sparsity = #attn.sparsity<local, block_size = 128, width = 2>
// CHECK-LABEL: attn.variant @strided attributes
// CHECK-SAME:    sparsity = #attn.sparsity<strided, block_size = 64, stride = 4, global = 1>
// CHECK-LABEL: attn.variant @strided_no_global attributes
// CHECK-SAME:    sparsity = #attn.sparsity<strided, block_size = 64, stride = 4>
// CHECK-LABEL: attn.variant @butterfly attributes
// CHECK-SAME:    sparsity = #attn.sparsity<butterfly, block_size = 16>
// CHECK-LABEL: attn.variant @layout attributes
// CHECK-SAME:    sparsity = #attn.sparsity<layout, block_size = 256, rows = 2, cols = 3, layout = [1, 0, 1, 0, 1, 1]>
// CHECK-LABEL: attn.variant @runtime attributes
// CHECK-SAME:    sparsity = #attn.sparsity<runtime, block_size = 128>
attn.variant @local attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, sparsity = #attn.sparsity<local, width = 2, block_size = 128>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}
attn.variant @strided attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, sparsity = #attn.sparsity<strided, global = 1, stride = 4, block_size = 64>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}
attn.variant @strided_no_global attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, sparsity = #attn.sparsity<strided, block_size = 64, stride = 4, global = 0>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}
attn.variant @butterfly attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, sparsity = #attn.sparsity<butterfly, block_size = 16>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}
attn.variant @layout attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, sparsity = #attn.sparsity<layout, layout = [1, 0, 1, 0, 1, 1], cols = 3, rows = 2, block_size = 256>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}
attn.variant @runtime attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, sparsity = #attn.sparsity<runtime, block_size = 128>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// Tensors (symbolic and literal dims, i32 and f32) and attn.lookup in both
// regions; the mask and score bodies use arith and math ops freely.
// CHECK-LABEL: attn.variant @tensors attributes
// CHECK-SAME:    tensors = [#attn.tensor<"doc_id", i32, ["batch", "tokens_k"]>, #attn.tensor<"slopes", f32, ["heads"]>,
// CHECK-SAME:               #attn.tensor<"bias", f32, ["kv_heads", 255, "seq_q", "seq_k"]>, #attn.tensor<"lens", i32, ["batch", "tokens_q"]>]
// CHECK-SAME:    } mask {
// CHECK-NEXT:  ^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
// CHECK-NEXT:    %[[DQ:.+]] = attn.lookup "doc_id"[%b, %q] : i32
// CHECK-NEXT:    %[[DK:.+]] = attn.lookup "doc_id"[%b, %k] : i32
// CHECK-NEXT:    %[[SAME:.+]] = arith.cmpi eq, %[[DQ]], %[[DK]] : i32
// CHECK-NEXT:    %[[LEN:.+]] = attn.lookup "lens"[%b, %q] : i32
// CHECK-NEXT:    %[[IN:.+]] = arith.cmpi slt, %k, %[[LEN]] : i32
// CHECK-NEXT:    %[[TRUE:.+]] = arith.constant true
// CHECK-NEXT:    %[[NOTIN:.+]] = arith.xori %[[IN]], %[[TRUE]] : i1
// CHECK-NEXT:    %[[EITHER:.+]] = arith.ori %[[SAME]], %[[NOTIN]] : i1
// CHECK-NEXT:    %[[BOTH:.+]] = arith.andi %[[EITHER]], %[[IN]] : i1
// CHECK-NEXT:    attn.yield %[[BOTH]] : i1
// CHECK-NEXT:  } score {
// CHECK-NEXT:  ^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
// CHECK-NEXT:    %[[SLOPE:.+]] = attn.lookup "slopes"[%h] : f32
// CHECK-NEXT:    %[[D:.+]] = arith.subi %k, %q : i32
// CHECK-NEXT:    %[[DF:.+]] = arith.sitofp %[[D]] : i32 to f32
// CHECK-NEXT:    %[[BIAS:.+]] = attn.lookup "bias"[%h, %[[D]], %q, %k] : f32
// CHECK-NEXT:    %[[A:.+]] = arith.mulf %[[SLOPE]], %[[DF]] : f32
// CHECK-NEXT:    %[[B:.+]] = arith.addf %score, %[[A]] : f32
// CHECK-NEXT:    %[[C:.+]] = arith.addf %[[B]], %[[BIAS]] : f32
// CHECK-NEXT:    %[[CAP:.+]] = arith.constant 3.000000e+01 : f32
// CHECK-NEXT:    %[[E:.+]] = arith.divf %[[C]], %[[CAP]] : f32
// CHECK-NEXT:    %[[TANH:.+]] = math.tanh %[[E]] : f32
// CHECK-NEXT:    %[[F:.+]] = arith.mulf %[[CAP]], %[[TANH]] : f32
// CHECK-NEXT:    %[[NEG:.+]] = arith.cmpf olt, %[[F]], %score : f32
// CHECK-NEXT:    %[[EXP:.+]] = math.exp %[[F]] : f32
// CHECK-NEXT:    %[[ABS:.+]] = math.absf %[[F]] : f32
// CHECK-NEXT:    %[[SEL:.+]] = arith.select %[[NEG]], %[[EXP]], %[[ABS]] : f32
// CHECK-NEXT:    %[[MAX:.+]] = arith.maximumf %[[SEL]], %[[F]] : f32
// CHECK-NEXT:    attn.yield %[[MAX]] : f32
// CHECK-NEXT:  }
attn.variant @tensors attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, tensors = [#attn.tensor<"doc_id", i32, ["batch", "tokens_k"]>, #attn.tensor<"slopes", f32, ["heads"]>, #attn.tensor<"bias", f32, ["kv_heads", 255, "seq_q", "seq_k"]>, #attn.tensor<"lens", i32, ["batch", "tokens_q"]>]} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %0 = attn.lookup "doc_id"[%b, %q] : i32
  %1 = attn.lookup "doc_id"[%b, %k] : i32
  %2 = arith.cmpi eq, %0, %1 : i32
  %3 = attn.lookup "lens"[%b, %q] : i32
  %4 = arith.cmpi slt, %k, %3 : i32
  %true = arith.constant true
  %5 = arith.xori %4, %true : i1
  %6 = arith.ori %2, %5 : i1
  %7 = arith.andi %6, %4 : i1
  attn.yield %7 : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %0 = attn.lookup "slopes"[%h] : f32
  %1 = arith.subi %k, %q : i32
  %2 = arith.sitofp %1 : i32 to f32
  %3 = attn.lookup "bias"[%h, %1, %q, %k] : f32
  %4 = arith.mulf %0, %2 : f32
  %5 = arith.addf %s, %4 : f32
  %6 = arith.addf %5, %3 : f32
  %cap = arith.constant 30.0 : f32
  %7 = arith.divf %6, %cap : f32
  %8 = math.tanh %7 : f32
  %9 = arith.mulf %cap, %8 : f32
  %10 = arith.cmpf olt, %9, %s : f32
  %11 = math.exp %9 : f32
  %12 = math.absf %9 : f32
  %13 = arith.select %10, %11, %12 : f32
  %14 = arith.maximumf %13, %9 : f32
  attn.yield %14 : f32
}

// -----

// An empty tensor list is the default and is not printed.
// CHECK-LABEL: attn.variant @no_tensors attributes
// CHECK-NOT:     tensors
// CHECK-SAME:    } mask {
attn.variant @no_tensors attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, tensors = []} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}
