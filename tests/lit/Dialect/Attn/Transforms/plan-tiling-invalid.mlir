// Tests attn-plan-tiling's refusals: an override that cannot fit the target,
// and an unknown architecture. Each names the limit or the bad value.
// RUN: flashgen-opt %s -split-input-file -attn-plan-tiling=arch=sm_86 -verify-diagnostics
// RUN: not flashgen-opt %s -split-input-file -attn-plan-tiling=arch=sm_99 2>&1 | FileCheck %s --check-prefix=ARCH

// ARCH: error: unknown architecture 'sm_99'; expected sm_80, sm_86, sm_89 or sm_90a

// 128 x 128 tiles of d256 need 192 KB of shared memory; GA102 has 99 KB. The
// registers run out too, and both are named.
// expected-error @+1 {{no forward tiling fits sm_86 for head dims qk=256 v=256; even Br=128 Bc=128 warps=4 stages=1 Q-in-registers needs 640 registers/thread > 255 and needs 196608 B shared memory > 101376 B per block on sm_86 with the spec's block_m/block_n/warps/stages}}
attn.variant @too_big attributes {dropout = 0.0 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 256 : i64, scale = 0.0625 : f64, target = #attn<target native>, tile_override = #attn.tiling<block_m = 128, block_n = 128>, v_head_dim = 256 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}
