// Tests attn-plan-tiling's kernel family on sm_90a: the warp-specialized
// wgmma forward or the plain one, and the launch bound, as a spec fixes them.
// RUN: flashgen-opt %s -split-input-file -attn-plan-tiling=arch=sm_90a | FileCheck %s --check-prefix=H100

// The kernel family is part of the tiling: a spec may ask for the
// warp-specialized kernel with one consumer warpgroup at head dim 128 and
// two CTAs per SM (83072 B each fit twice in 228 KB), or for the plain one.
// H100-LABEL: attn.variant @one_consumer
// H100-SAME: fwd_tiling = #attn.tiling<block_m = 64, block_n = 64, warps = 4, stages = 2, smem_bytes = 83072, regs_per_thread = 144, ctas_per_sm = 2, mma = wgmma, warp_specialized>
attn.variant @one_consumer attributes {dropout = 0.0 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 128 : i64, scale = 0.088 : f64, target = #attn<target native>, tile_override = #attn.tiling<block_m = 64, block_n = 64, warps = 4, ctas_per_sm = 2, mma = wgmma, warp_specialized>, v_head_dim = 128 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// H100-LABEL: attn.variant @plain_forced
// H100-SAME: fwd_tiling = #attn.tiling<block_m = 128, block_n = 128, warps = 8, stages = 2, smem_bytes = 164992, regs_per_thread = 224, ctas_per_sm = 1, mma = wgmma>
// H100-SAME: tile_override = #attn.tiling<block_m = 0, mma = wgmma, warp_specialized = false>
attn.variant @plain_forced attributes {dropout = 0.0 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 128 : i64, scale = 0.088 : f64, target = #attn<target native>, tile_override = #attn.tiling<block_m = 0, mma = wgmma, warp_specialized = false>, v_head_dim = 128 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}
