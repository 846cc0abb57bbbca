//===- WsBudget.cuh - the warp-specialized forward's register budget -*- CUDA -*-===//
//
// One source for the planner (dialect/lib/Analysis/TilingModel.cpp, on the
// host) and the kernel (FwdKernelSm90Ws.cuh, on the device): the producer
// warpgroup beside the consumer warps, and how the 64K registers of an SM
// split between them at a launch bound of `ctasPerSM` CTAs. ptxas
// allocates the launch bound's cap (`entry`) to every thread; setmaxnreg
// then lowers the producer's to 24 and raises the consumers' to their share
// (multiples of 8, at most 256). The generated code asserts the planner's
// numbers are the kernel's.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_WSBUDGET_CUH
#define FLASHGEN_ATTENTION_WSBUDGET_CUH

#include "flashgen/Platform.cuh"

namespace flashgen {

/// The producer: one warpgroup (one thread issues the copies).
constexpr int kWsProducerWarps = 4;
/// What the producer keeps after setmaxnreg (its floor).
constexpr int kWsProducerRegs = 24;
/// setmaxnreg's ceiling, and the consumers' floor: their accumulators
/// must stay in registers.
constexpr int kWsMaxConsumerRegs = 256;
constexpr int kWsMinConsumerRegs = 128;

/// The warp-specialized backward's mbarriers (BwdKernelSm90Ws.cuh): the
/// planner counts them in its shared memory.
constexpr int kBwdWsBarrierBytes = 64;

/// The warp-specialized kernels' staged mask lookups (StagedColumns.h):
/// per stage, one 32-bit value per key of the forward's kv tile (or per
/// query row of the backward's streamed tile) for each lookup.
FG_HOST_DEVICE constexpr long long wsStagedLookupBytes(long long stages, long long lookups,
                                                       long long tileLength) {
  return stages * lookups * tileLength * 4;
}

/// Threads of a warp-specialized CTA: the consumers and the producer.
FG_HOST_DEVICE constexpr int wsThreads(int consumerWarps) {
  return 32 * (consumerWarps + kWsProducerWarps);
}

/// Registers per thread at entry: the launch bound's cap.
FG_HOST_DEVICE constexpr int wsEntryRegs(int ctasPerSM, int consumerWarps) {
  return 65536 / ctasPerSM / wsThreads(consumerWarps) / 8 * 8;
}

/// Registers per consumer thread after setmaxnreg.
FG_HOST_DEVICE constexpr int wsConsumerRegs(int ctasPerSM, int consumerWarps) {
  const int share = (wsEntryRegs(ctasPerSM, consumerWarps) * wsThreads(consumerWarps) -
                     kWsProducerRegs * 32 * kWsProducerWarps) /
                    (32 * consumerWarps) / 8 * 8;
  return share > kWsMaxConsumerRegs ? kWsMaxConsumerRegs : share;
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_WSBUDGET_CUH
