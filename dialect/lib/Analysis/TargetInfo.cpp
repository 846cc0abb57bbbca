//===- TargetInfo.cpp - resources of the GPUs flashgen targets --*- C++ -*-===//
#include "flashgen/Dialect/Attn/Analysis/TargetInfo.h"

#include "flashgen/attention/WsBudget.cuh" // kSm90MaxDynamicSmem

using namespace flashgen::attn;

double flashgen::attn::tensorFlopsPerClockPerSM(int smVersion) {
  // Dense 16-bit tensor-core math with fp32 accumulation, per SM and clock
  // (datasheet rate / (SMs x boost clock)): Ampere data-center parts 1024
  // FMA, GeForce Ampere a quarter of that, Ada half, Hopper (wgmma) twice.
  if (smVersion >= 90)
    return 4096;
  if (smVersion == 86)
    return 512;
  if (smVersion == 89)
    return 1024;
  return 2048;
}

namespace {
// Defaults of each architecture when no GPU is queried (`flashgen compile
// --arch`, `explain` on the build machine): the resources every part of
// the architecture shares, and the SM count, bandwidth and tensor-core rate
// of its data-center part as an order of magnitude. With a GPU present the
// runtime asks the device instead (and the tuning database, once `flashgen
// tune --calibrate` measured it there).
constexpr const char *kDefaults =
    "architecture defaults (no GPU queried; a GPU's own attributes replace them)";
GpuTarget sm80() {
  // 164 KB smem/SM (163 KB opt-in per block), 108 SMs at 1.41 GHz, 2.04 TB/s.
  return {"sm_80", "", 80, 108, 167936, 166912, 65536, 255,
          2048, 32, 2.039e12, 108 * 1.41e9 * tensorFlopsPerClockPerSM(80), 40 << 20,
          kDefaults};
}
GpuTarget sm86() {
  // 100 KB smem/SM, 99 KB per block, 82 SMs at 1.695 GHz, 936 GB/s.
  return {"sm_86", "", 86, 82, 102400, 101376, 65536, 255,
          1536, 16, 936e9, 82 * 1.695e9 * tensorFlopsPerClockPerSM(86), 6 << 20, kDefaults};
}
GpuTarget sm89() {
  // 100 KB smem/SM, 99 KB per block, 142 SMs at 2.52 GHz, 864 GB/s.
  return {"sm_89", "", 89, 142, 102400, 101376, 65536, 255,
          1536, 24, 864e9, 142 * 2.52e9 * tensorFlopsPerClockPerSM(89), 96 << 20, kDefaults};
}
GpuTarget sm90a() {
  // 228 KB smem/SM, 227 KB per block, 132 SMs, 50 MB L2; bandwidth and
  // matmul rate as measured on the 132-SM parts lent so far
  // (shared/BENCH.md: copies of 3.0 and 4.3 TB/s, bf16 matmul 790-799
  // TFLOP/s): the lower bandwidth.
  return {"sm_90a", "", 90, 132, 233472, flashgen::kSm90MaxDynamicSmem, 65536, 255,
          2048, 32, 3.0e12, 790e12, 50 << 20, kDefaults};
}
} // namespace

std::optional<GpuTarget> flashgen::attn::lookupTarget(Target target) {
  switch (target) {
  case Target::sm_80: return sm80();
  case Target::sm_86: return sm86();
  case Target::sm_89: return sm89();
  case Target::sm_90a: return sm90a();
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
