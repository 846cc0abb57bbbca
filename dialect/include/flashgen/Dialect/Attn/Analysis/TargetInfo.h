//===- TargetInfo.h - resources of the GPUs flashgen targets ----*- C++ -*-===//
//
// The numbers tiling and the IO cost model need. Without a GPU they are an
// architecture's defaults (lookupTarget); at JIT time and in `explain` and
// `tune` on a GPU the runtime builds a GpuTarget from the device itself
// (cuDeviceGetAttribute: SMs, shared memory, registers, clocks, bus width)
// and the bandwidth and tensor-core rate that `flashgen tune --calibrate`
// measured there, if it did (runtime/DeviceTarget.h).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DIALECT_ATTN_ANALYSIS_TARGETINFO_H
#define FLASHGEN_DIALECT_ATTN_ANALYSIS_TARGETINFO_H

#include "flashgen/Dialect/Attn/IR/AttnDialect.h"

#include <cstdint>
#include <optional>
#include <string>

namespace flashgen::attn {

struct GpuTarget {
  std::string arch;          // "sm_90a"
  std::string part;          // the device's name; "" for architecture defaults
  int smVersion = 0;         // 90
  int numSMs = 0;
  int64_t smemPerSM = 0;     // bytes of shared memory per SM
  int64_t smemPerBlock = 0;  // opt-in maximum per thread block
  int64_t regsPerSM = 0;     // 32-bit registers
  int maxRegsPerThread = 255;
  int maxThreadsPerSM = 0;
  int maxBlocksPerSM = 0;
  double hbmBytesPerSec = 0; // achievable device-memory bandwidth
  double mmaFlopsPerSec = 0; // dense fp16/bf16 tensor-core rate, fp32 accumulate
  int64_t l2Bytes = 0;
  std::string source;        // where the numbers come from
};

/// Dense 16-bit tensor-core FLOPs (fp32 accumulate) per SM per clock of
/// compute capability `smVersion` (90 for 9.0).
double tensorFlopsPerClockPerSM(int smVersion);

/// The defaults of `target`; nullopt for Target::native (ask the device).
std::optional<GpuTarget> lookupTarget(Target target);

/// The defaults of an arch name such as "sm_80" or "sm_90a".
std::optional<GpuTarget> lookupTarget(llvm::StringRef arch);

} // namespace flashgen::attn

#endif // FLASHGEN_DIALECT_ATTN_ANALYSIS_TARGETINFO_H
