// Tests attn-estimate-io: each term of the IO cost model, derived by hand in
// the comments, for B=2, H=4, N=1024, d=64, bf16 (2 bytes) on sm_90a.
// RUN: flashgen-opt %s -split-input-file -attn-plan-tiling=arch=sm_90a -attn-estimate-io="batch=2 seq-q=1024 seq-k=1024" | FileCheck %s
// RUN: not flashgen-opt %s -split-input-file -attn-estimate-io 2>&1 | FileCheck %s --check-prefix=NOTILING

// Without a tiling there is nothing to estimate; the message says what to run.
// NOTILING: error: attn-estimate-io needs 'fwd_tiling'; run attn-plan-tiling first

// flashgen: Q = B*H*N*d*2 = 8*1024*64*2 = 1048576; K and V once (L2 holds
// them) = 8*1024*(64+64)*2 = 2097152; O = 1048576; logsumexp = 8*1024*4 =
// 32768. FLOPs = 4*B*H*N^2*d = 2147483648 (dense: useful = executed).
// standard: S and P are 8*1024*1024*2 = 16777216 bytes, each written once
// and read once, plus Q, K, V read and O written: (4*1048576 + 4*16777216).
// CHECK-LABEL: attn.variant @dense
// CHECK-SAME: attn.io = {bytes_ratio = 16.868217054263567 : f64,
// CHECK-SAME: flashgen = {bound = "compute", executed_flops = 2147483648 : i64, extra_memory_bytes = 32768 : i64, read_bytes = 3145728 : i64,
// CHECK-SAME: terms = {"K/V from HBM (once per kv head, L2 reuse)" = 2097152 : i64, "O (written once)" = 1048576 : i64, "Q (read once)" = 1048576 : i64, "logsumexp (fp32)" = 32768 : i64}
// CHECK-SAME: useful_flops = 2147483648 : i64, write_bytes = 1081344 : i64}
// CHECK-SAME: standard = {bound = "memory", executed_flops = 2147483648 : i64, extra_memory_bytes = 33554432 : i64, read_bytes = 36700160 : i64,
// CHECK-SAME: "P (read)" = 16777216 : i64, Q = 1048576 : i64, "S = QK^T (write)" = 16777216 : i64
// CHECK-SAME: write_bytes = 34603008 : i64}
attn.variant @dense attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, heads = 4 : i64, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %true = arith.constant true
  attn.yield %true : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// Causal halves the useful FLOPs and skips the empty tiles' K/V loads; the
// standard form pays an extra read+write of the N x N matrix to mask it.
// 36 of the 64 tiles of 128 x 128 run: executed = 2*8*36*128*128*(64+64);
// useful = 4*8*1024^2*64 * (1024*1025/2)/1024^2.
// CHECK-LABEL: attn.variant @causal
// CHECK-SAME: flashgen = {bound = "compute", executed_flops = 1207959552 : i64
// CHECK-SAME: useful_flops = 1074790400 : i64
// CHECK-SAME: standard = {bound = "memory", executed_flops = 2147483648 : i64
// CHECK-SAME: "elementwise pass over S (write)" = 16777216 : i64
attn.variant @causal attributes {dropout = 0.000000e+00 : f64, dtype = #attn<dtype bf16>, heads = 4 : i64, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 1.250000e-01 : f64, target = #attn<target native>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %0 = arith.cmpi sle, %k, %q : i32
  attn.yield %0 : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}
