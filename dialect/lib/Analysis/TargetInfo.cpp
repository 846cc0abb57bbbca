//===- TargetInfo.cpp - resources of the GPUs flashgen targets --*- C++ -*-===//
#include "flashgen/Dialect/Attn/Analysis/TargetInfo.h"

using namespace flashgen::attn;

namespace {
GpuTarget a100() {
  // NVIDIA A100 whitepaper: 164 KB smem/SM (163 KB opt-in per block),
  // 108 SMs, 2.04 TB/s (80 GB part), 312 TFLOP/s dense bf16.
  return {"sm_80", "A100 SXM4 80GB", 80, 108, 167936, 166912, 65536, 255,
          2048, 32, 2.039e12, 312e12, 40 << 20,
          "datasheet (A100 whitepaper)"};
}
GpuTarget sm86() {
  // GA102 (RTX 3090 / A10): 100 KB smem/SM, 99 KB per block, 82 SMs,
  // 936 GB/s, 71 TFLOP/s fp16 with fp32 accumulate (GeForce rate).
  return {"sm_86", "RTX 3090 (GA102)", 86, 82, 102400, 101376, 65536, 255,
          1536, 16, 936e9, 71e12, 6 << 20, "datasheet (GA102 whitepaper)"};
}
GpuTarget sm89() {
  // AD102 (L40S): 100 KB smem/SM, 99 KB per block, 142 SMs, 864 GB/s,
  // 362 TFLOP/s dense fp16/bf16 with fp32 accumulate.
  return {"sm_89", "L40S (AD102)", 89, 142, 102400, 101376, 65536, 255,
          1536, 24, 864e9, 362e12, 96 << 20, "datasheet (L40S)"};
}
GpuTarget h100() {
  // H100 SXM5: 228 KB smem/SM, 227 KB per block, 132 SMs, 50 MB L2.
  // Bandwidth and matmul rate measured on the lent H100 (shared/BENCH.md,
  // 2026-11-24): 2.99 TB/s device-to-device, 799 TFLOP/s bf16 8192^3.
  return {"sm_90a", "H100 SXM5 80GB", 90, 132, 233472, 232448, 65536, 255,
          2048, 32, 2.99e12, 799e12, 50 << 20,
          "measured on the lent H100 (BW, matmul); datasheet (rest)"};
}
} // namespace

std::optional<GpuTarget> flashgen::attn::lookupTarget(Target target) {
  switch (target) {
  case Target::sm_80: return a100();
  case Target::sm_86: return sm86();
  case Target::sm_89: return sm89();
  case Target::sm_90a: return h100();
  case Target::native: return std::nullopt;
  }
  return std::nullopt;
}

std::optional<GpuTarget> flashgen::attn::lookupTarget(llvm::StringRef arch) {
  if (arch == "sm_90") // plain sm_90 has the same resources; wgmma needs 90a
    arch = "sm_90a";
  if (std::optional<Target> t = symbolizeTarget(arch))
    return lookupTarget(*t);
  return std::nullopt;
}
