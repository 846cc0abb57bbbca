// Tests attn-plan-tiling: tiles from each target's shared memory and register
// budget, backward tiles only when requested, user overrides, and refusals.
// RUN: flashgen-opt %s -split-input-file -attn-plan-tiling=arch=sm_90a | FileCheck %s --check-prefix=H100
// RUN: flashgen-opt %s -split-input-file -attn-plan-tiling=arch=sm_80 | FileCheck %s --check-prefix=A100
// RUN: flashgen-opt %s -split-input-file -attn-plan-tiling=arch=sm_86 | FileCheck %s --check-prefix=GA102
// RUN: flashgen-opt %s -split-input-file -attn-plan-tiling=arch=sm_89 | FileCheck %s --check-prefix=AD102
// RUN: flashgen-opt %s -split-input-file -attn-plan-tiling | FileCheck %s --check-prefix=OWN

// d128, forward and backward. The H100 (227 KB per block) double-buffers
// K/V; the A100 (163 KB) too; GA102 (99 KB) single-buffers. Backward: 128
// resident keys (16 per warp, full dK/dV rows: 128 registers) and streamed
// Q/dO tiles of 64 rows (S^T, dP^T: 64 more); 128-row tiles would need 304.
// The dS^T tile of the fused atomic-dQ kernel (Bc x Br) leaves GA102 room
// for 64 resident keys only.
// Q's forward fragments would need 256 registers/thread on top: they are
// re-read from shared memory. On sm_90a the forward uses wgmma (two
// warpgroups of 64 rows; 1024 B more shared memory to align the tiles, 128
// for the warp-specialized kernel's mbarriers; 192 registers per consumer
// thread: 160 of fragments and 32 of overhead, within the 240 the split of
// one CTA per SM leaves them), and
// so does the backward's fast path, warp-specialized (the same tiles, plus
// the alignment, two buffers of 64 fp32 dQ rows of 544 B staged for the
// copy engine and the mbarriers: 148480 + 1024 + 2 * 34816 + 64;
// its consumers' 240 registers are the split of one CTA per SM).
// H100-LABEL: attn.variant @d128
// H100-SAME: bwd_tiling = #attn.tiling<block_m = 64, block_n = 128, warps = 8, stages = 2, smem_bytes = 219200, regs_per_thread = 240, ctas_per_sm = 1, mma = wgmma, warp_specialized>
// H100-SAME: fwd_tiling = #attn.tiling<block_m = 128, block_n = 128, warps = 8, stages = 2, smem_bytes = 164992, regs_per_thread = 192, ctas_per_sm = 1, mma = wgmma, warp_specialized>
// H100-SAME: tiling_notes = ["forward: Br=128 Bc=128 warps=8 stages=2 wgmma warp-specialized x1 CTAs/SM; 164992 B shared memory of 232448 B/block
// A100-LABEL: attn.variant @d128
// A100-SAME: bwd_tiling = #attn.tiling<block_m = 64, block_n = 128, warps = 8, stages = 2,
// A100-SAME: fwd_tiling = #attn.tiling<block_m = 128, block_n = 128, warps = 8, stages = 2,{{.*}}mma = sync>
// GA102-LABEL: attn.variant @d128
// GA102-SAME: bwd_tiling = #attn.tiling<block_m = 64, block_n = 64, warps = 4, stages = 1,
// GA102-SAME: fwd_tiling = #attn.tiling<block_m = 128, block_n = 128, warps = 8, stages = 1, smem_bytes = 98304
// AD102 (L40S) has GA102's 99 KB per block: the same choices.
// AD102-LABEL: attn.variant @d128
// AD102-SAME: bwd_tiling = #attn.tiling<block_m = 64, block_n = 64, warps = 4, stages = 1,
// AD102-SAME: fwd_tiling = #attn.tiling<block_m = 128, block_n = 128, warps = 8, stages = 1,
// Without arch, the variant's own target (sm_80) is used.
// OWN-LABEL: attn.variant @d128
// OWN-SAME: bwd_tiling = #attn.tiling<block_m = 64, block_n = 128, warps = 8, stages = 2,
attn.variant @d128 attributes {dropout = 0.0 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward, backward>, qk_head_dim = 128 : i64, scale = 0.088 : f64, target = #attn<target sm_80>, v_head_dim = 128 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// Forward only: no backward tiling is planned. d256 needs narrower K/V tiles:
// on sm_90a two consumer warpgroups of 64 rows, Bc = 64 (O, S and P in 240
// registers), warp-specialized, one CTA per SM.
// H100-LABEL: attn.variant @d256_fwd
// H100-NOT: bwd_tiling
// H100-SAME: fwd_tiling = #attn.tiling<block_m = 128, block_n = 64, warps = 8, stages = 2,{{.*}}ctas_per_sm = 1, mma = wgmma, warp_specialized>
// GA102-LABEL: attn.variant @d256_fwd
// GA102-SAME: fwd_tiling = #attn.tiling<block_m = 64, block_n = 64, warps = 4, stages = 1,
attn.variant @d256_fwd attributes {dropout = 0.0 : f64, dtype = #attn<dtype f16>, passes = #attn.passes<forward>, qk_head_dim = 256 : i64, scale = 0.0625 : f64, target = #attn<target native>, v_head_dim = 256 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// The spec's override is honoured exactly (here: 64 x 32, 4 warps, 1 stage).
// H100-LABEL: attn.variant @override
// H100-SAME: fwd_tiling = #attn.tiling<block_m = 64, block_n = 32, warps = 4, stages = 1,
attn.variant @override attributes {dropout = 0.0 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 0.125 : f64, target = #attn<target native>, tile_override = #attn.tiling<block_m = 64, block_n = 32, warps = 4, stages = 1>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

// -----

// `mma = sync` in the override keeps the mma.sync kernel on sm_90a.
// H100-LABEL: attn.variant @force_sync
// H100-SAME: fwd_tiling = #attn.tiling<block_m = 128, block_n = 64, warps = 4, stages = 2,{{.*}}mma = sync>
attn.variant @force_sync attributes {dropout = 0.0 : f64, dtype = #attn<dtype bf16>, passes = #attn.passes<forward>, qk_head_dim = 64 : i64, scale = 0.125 : f64, target = #attn<target native>, tile_override = #attn.tiling<block_m = 0, mma = sync>, v_head_dim = 64 : i64} mask {
^bb0(%b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  %t = arith.constant true
  attn.yield %t : i1
} score {
^bb0(%score: f32, %b: i32, %h: i32, %q: i32, %k: i32, %seq_q: i32, %seq_k: i32):
  attn.yield %score : f32
}

