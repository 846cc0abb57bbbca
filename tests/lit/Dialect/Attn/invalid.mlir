// Every verifier message of the attn dialect: attn.variant attributes and regions, attn.lookup, #attn.sparsity, #attn.tensor.
// RUN: flashgen-opt %s -split-input-file -verify-diagnostics -allow-unregistered-dialect

// qk_head_dim must be a positive multiple of 8.
// expected-error @+1 {{'attn.variant' op 'qk_head_dim' must be a positive multiple of 8 no larger than 256, got 60}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 60 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// ... and no larger than 256.
// expected-error @+1 {{'attn.variant' op 'qk_head_dim' must be a positive multiple of 8 no larger than 256, got 264}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 264 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// v_head_dim is checked the same way.
// expected-error @+1 {{'attn.variant' op 'v_head_dim' must be a positive multiple of 8 no larger than 256, got 0}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 0 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// heads >= 1.
// expected-error @+1 {{'attn.variant' op 'heads' must be >= 1, got 0}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, heads = 0 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// kv_heads >= 1.
// expected-error @+1 {{'attn.variant' op 'kv_heads' must be >= 1, got -4}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, heads = 8 : i64, kv_heads = -4 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// kv_heads needs heads.
// expected-error @+1 {{'attn.variant' op 'kv_heads' requires 'heads'}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, kv_heads = 2 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// kv_heads divides heads.
// expected-error @+1 {{'attn.variant' op 'kv_heads' (3) must divide 'heads' (8)}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, heads = 8 : i64, kv_heads = 3 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// scale > 0.
// expected-error @+1 {{'attn.variant' op 'scale' must be finite and positive, got 0.000000e+00}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.0 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// scale is finite.
// expected-error @+1 {{'attn.variant' op 'scale' must be finite and positive, got INF}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0x7FF0000000000000 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// dropout in [0, 1).
// expected-error @+1 {{'attn.variant' op 'dropout' must be in [0, 1), got 1.000000e+00}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 1.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// ... negative dropout too.
// expected-error @+1 {{'attn.variant' op 'dropout' must be in [0, 1), got -5.000000e-01}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = -0.5 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// passes: an empty set cannot be written (the verifier's "'passes' must name
// forward and/or backward" is only reachable from C++); the parser refuses it.
// expected-error @+2 {{expected valid keyword or string}}
// expected-error @+1 {{failed to parse Attn_PassesAttr parameter 'value'}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// Tensor names are unique.
// expected-error @+1 {{'attn.variant' op 'tensors' declares 'x' twice}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, tensors = [#attn.tensor<"x", i32, ["batch"]>, #attn.tensor<"x", f32, ["heads"]>]} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// The mask region takes the six i32 index arguments.
// expected-error @+1 {{'attn.variant' op 'mask' region must have 6 arguments, got 5}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// The score region takes the score and the six index arguments.
// expected-error @+1 {{'attn.variant' op 'score' region must have 7 arguments, got 6}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %s = arith.constant 0.0 : f32
  attn.yield %s : f32
}

// -----

// Index arguments are i32.
// expected-error @+1 {{'attn.variant' op 'mask' region argument #2 must be 'i32', got 'i64'}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i64, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// The score argument is f32.
// expected-error @+1 {{'attn.variant' op 'score' region argument #0 must be 'f32', got 'f16'}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f16, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %z = arith.constant 0.0 : f32
  attn.yield %z : f32
}

// -----

// The mask yields i1.
// expected-error @+1 {{'attn.variant' op 'mask' region must yield 'i1', got 'f32'}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %f = arith.constant 1.0 : f32
  attn.yield %f : f32
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// The score yields f32.
// expected-error @+1 {{'attn.variant' op 'score' region must yield 'f32', got 'i1'}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
}

// -----

// Regions end in attn.yield (a foreign terminator needs -allow-unregistered-dialect).
// expected-error @+1 {{'attn.variant' op 'mask' region must end in attn.yield}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  "test.return"(%t) : (i1) -> ()
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// Only arith, math and attn.lookup ops may appear in the regions.
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  // expected-error @+1 {{'test.opaque' op is not allowed in the 'mask' region (only arith, math and attn.lookup ops)}}
  %t = "test.opaque"() : () -> i1
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// ... in the score region too.
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  // expected-error @+1 {{'builtin.unrealized_conversion_cast' op is not allowed in the 'score' region (only arith, math and attn.lookup ops)}}
  %c = builtin.unrealized_conversion_cast %s : f32 to f32
  attn.yield %c : f32
}

// -----

// attn.lookup lives inside an attn.variant.
%i = arith.constant 0 : i32
// expected-error @+1 {{'attn.lookup' op must be inside an attn.variant}}
%v = attn.lookup "x"[%i] : i32

// -----

// attn.lookup names a declared tensor.
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, tensors = [#attn.tensor<"slopes", f32, ["heads"]>]} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  // expected-error @+1 {{'attn.lookup' op refers to undeclared tensor 'slope'}}
  %x = attn.lookup "slope"[%h] : f32
  %r = arith.addf %s, %x : f32
  attn.yield %r : f32
}

// -----

// ... with one index per dimension.
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, tensors = [#attn.tensor<"bias", f32, ["heads", 255]>]} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  // expected-error @+1 {{'attn.lookup' op tensor 'bias' has rank 2 but 1 indices were given}}
  %x = attn.lookup "bias"[%h] : f32
  %r = arith.addf %s, %x : f32
  attn.yield %r : f32
}

// -----

// ... and the tensor's element type.
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, tensors = [#attn.tensor<"doc", i32, ["batch", "seq_k"]>]} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  // expected-error @+1 {{'attn.lookup' op result type 'f32' does not match tensor 'doc' element type 'i32'}}
  %x = attn.lookup "doc"[%b, %k] : f32
  %z = arith.constant 0.0 : f32
  %c = arith.cmpf ogt, %x, %z : f32
  attn.yield %c : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// block_size is a multiple of 16 ...
// expected-error @+1 {{'block_size' must be a multiple of 16 in [16, 256], got 100}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, sparsity = #attn.sparsity<local, block_size = 100, width = 1>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// ... in [16, 256].
// expected-error @+1 {{'block_size' must be a multiple of 16 in [16, 256], got 512}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, sparsity = #attn.sparsity<runtime, block_size = 512>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// No parameter is negative.
// expected-error @+1 {{sparsity parameters must be non-negative}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, sparsity = #attn.sparsity<butterfly, block_size = 64, width = -1>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// local needs a width.
// expected-error @+1 {{'local' sparsity needs 'width' >= 1}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, sparsity = #attn.sparsity<local, block_size = 64>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// strided needs a stride.
// expected-error @+1 {{'strided' sparsity needs 'stride' >= 1}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, sparsity = #attn.sparsity<strided, block_size = 64, global = 1>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// layout needs rows and cols.
// expected-error @+1 {{'layout' sparsity needs 'rows' and 'cols' >= 1}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, sparsity = #attn.sparsity<layout, block_size = 64, rows = 2, layout = [1, 1]>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// The layout has rows * cols entries.
// expected-error @+1 {{'layout' has 3 entries, expected rows * cols = 4}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, sparsity = #attn.sparsity<layout, block_size = 64, rows = 2, cols = 2, layout = [1, 0, 1]>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// Layout entries are 0 or 1.
// expected-error @+1 {{'layout' entries must be 0 or 1, got 2}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, sparsity = #attn.sparsity<layout, block_size = 64, rows = 1, cols = 2, layout = [1, 2]>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// Only layout sparsity has a layout.
// expected-error @+1 {{'layout' is only valid with layout sparsity}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, sparsity = #attn.sparsity<local, block_size = 64, width = 2, layout = [1]>} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// Tensors have a name.
// expected-error @+1 {{tensor name must not be empty}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, tensors = [#attn.tensor<"", i32, ["batch"]>]} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// Elements are i32 or f32.
// expected-error @+1 {{tensor 'x' element type must be i32 or f32, got 'f64'}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, tensors = [#attn.tensor<"x", f64, ["batch"]>]} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// Tensors have at least one dimension.
// expected-error @+1 {{tensor 'x' must have rank >= 1}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, tensors = [#attn.tensor<"x", i32, []>]} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// Sizes are >= 1.
// expected-error @+1 {{tensor 'x' has a non-positive dimension 0}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, tensors = [#attn.tensor<"x", i32, ["batch", 0]>]} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// Symbolic extents are batch, heads, kv_heads, seq_q, seq_k, tokens_q, tokens_k.
// expected-error @+1 {{tensor 'x' dimension "seqk" is neither a size nor a symbolic extent}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, tensors = [#attn.tensor<"x", i32, ["seqk"]>]} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// ... and nothing else is a dimension.
// expected-error @+1 {{tensor 'x' dimension 1.500000e+00 : f64 is neither a size nor a symbolic extent}}
attn.variant @v attributes {dtype = #attn<dtype bf16>, qk_head_dim = 64 : i64, v_head_dim = 64 : i64, scale = 0.125 : f64, dropout = 0.0 : f64, passes = #attn.passes<forward>, target = #attn<target native>, tensors = [#attn.tensor<"x", i32, [1.5]>]} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%s: f32, %b: i32, %h: i32, %q: i32, %k: i32, %sq: i32, %sk: i32):
  attn.yield %s : f32
}

// -----

// rows * cols would overflow 64 bits: refused before any pass reads the layout.
// expected-error @+1 {{'layout' is at most 4096 x 4096 blocks, got 4294967296 x 4294967296}}
attn.variant @layout_overflow attributes {dropout = 0.0 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 0.125 : f64, sparsity = #attn.sparsity<layout, block_size = 64, rows = 4294967296, cols = 4294967296>, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}
