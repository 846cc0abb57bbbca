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

/// The warp-specialized backward's mbarriers (BwdKernelSm90Ws.cuh) with
/// `stages` Q/dO buffers: kvFull, then qFull, doFull and empty per buffer,
/// 8 bytes each, in 64-byte steps. The planner counts them in its shared
/// memory (two buffers: kBwdWsBarrierBytes).
FG_HOST_DEVICE constexpr long long bwdWsBarrierBytes(long long stages) {
  return (8 * (1 + 3 * stages) + 63) / 64 * 64;
}
constexpr int kBwdWsBarrierBytes = int(bwdWsBarrierBytes(2));

/// Dynamic shared memory a block may have on sm_90 (227 KB; also the
/// sm_90a target's default, TargetInfo.cpp).
constexpr long long kSm90MaxDynamicSmem = 232448;

/// The fp8 forward's V staging (FwdFp8.cuh): the copy engine lands each
/// kv tile's V as it is, key rows of one 128-byte atom, per stage; the
/// producer's transposing warps write V^T from it. 0 for 16-bit inputs.
FG_HOST_DEVICE constexpr long long wsFp8StagingBytes(long long stages, long long elemBytes,
                                                     long long blockN) {
  return elemBytes == 1 ? stages * blockN * 128 : 0;
}

/// The warp-specialized kernels' staged mask lookups (StagedColumns.h):
/// per stage, one 32-bit value per key of the forward's kv tile (or per
/// query row of the backward's streamed tile) for each lookup.
FG_HOST_DEVICE constexpr long long wsStagedLookupBytes(long long stages, long long lookups,
                                                       long long tileLength) {
  return stages * lookups * tileLength * 4;
}

/// The wide wgmma backward (BwdKernelSm90Wide.cuh), for head dims whose
/// full dK and dV rows do not fit a warpgroup: its two consumer warpgroups
/// share 64 resident keys and split dK and dV between them; 64-query tiles
/// in two or three buffers (bwdWideStages). The host launches a CTA per 64
/// keys and sizes its shared memory from bwdWideSmemBytes; the generated
/// code asserts it is the kernel's.
constexpr int kBwdWideResident = 64;
constexpr int kBwdWideStream = 64;
constexpr int kBwdWideConsumerWarps = 8;
/// Padded head dims the wide kernel takes: multiples of 64 up to 256, one
/// of them past 128 (below, BwdKernelSm90Ws.cuh holds both gradients per
/// warpgroup). At 256/256 each warpgroup accumulates half the columns of
/// dK and of dV (whole 64-column atoms); elsewhere (192 would leave 96)
/// the warpgroups split by gradient: warpgroup 0 all of dK, 1 all of dV.
FG_HOST_DEVICE constexpr bool bwdWideHeadDims(long long paddedQK, long long paddedV) {
  return paddedQK % 64 == 0 && paddedV % 64 == 0 && paddedQK <= 256 && paddedV <= 256 &&
         (paddedQK > 128 || paddedV > 128);
}
FG_HOST_DEVICE constexpr bool bwdWideByGradient(long long paddedQK, long long paddedV) {
  return !(paddedQK == 256 && paddedV == 256);
}
/// That split in words (the generated code's header, explain, `flashgen run`).
FG_HOST_DEVICE constexpr const char *bwdWideSplitText(long long paddedQK, long long paddedV) {
  return bwdWideByGradient(paddedQK, paddedV) ? "one warpgroup dK, one dV" : "head dim split";
}
/// Its shared memory with `stages` buffers of Q and dO (and of lse2 and D):
/// K and V; the buffers; P^T and dS^T (two pairs with three stages, the
/// pipelined consumer's); the 1024-byte alignment of the base; the
/// mbarriers; the staged row lookups.
FG_HOST_DEVICE constexpr long long bwdWideSmemBytesAt(long long stages, long long dqk,
                                                      long long dv, long long elemBytes,
                                                      long long stagedLookups) {
  return kBwdWideResident * (dqk + dv) * elemBytes +
         stages * kBwdWideStream * (dqk + dv) * elemBytes +
         (stages > 2 ? 2 : 1) * 2 * kBwdWideResident * kBwdWideStream * elemBytes +
         stages * 2 * kBwdWideStream * 4 + 1024 + bwdWsBarrierBytes(stages) +
         wsStagedLookupBytes(stages, stagedLookups, kBwdWideStream);
}
/// Q/dO buffers of the wide kernel: three where the warpgroups split by
/// gradient and they fit (then item n's dK or dV product runs under item
/// n + 1's P and dS math, and its buffer is released an item later), else
/// two (256/256: four 32 KB tiles per buffer).
FG_HOST_DEVICE constexpr int bwdWideStages(long long dqk, long long dv, long long elemBytes,
                                           long long stagedLookups) {
  return bwdWideByGradient(dqk, dv) &&
                 bwdWideSmemBytesAt(3, dqk, dv, elemBytes, stagedLookups) <= kSm90MaxDynamicSmem
             ? 3
             : 2;
}
FG_HOST_DEVICE constexpr long long bwdWideSmemBytes(long long dqk, long long dv,
                                                    long long elemBytes,
                                                    long long stagedLookups) {
  return bwdWideSmemBytesAt(bwdWideStages(dqk, dv, elemBytes, stagedLookups), dqk, dv,
                            elemBytes, stagedLookups);
}

/// The q-major wgmma dQ kernel beside the wide backward
/// (BwdDqKernelSm90.cuh): kBwdDqRows query rows per CTA (64 per consumer
/// warpgroup) and K/V tiles of bwdDqKeys keys in kBwdDqKvBuffers buffers;
/// its shared memory: Q and dO, the K/V buffers, the 1024-byte alignment of
/// the base. Tiles of 64 keys where three buffers of them fit (192/128,
/// 64/256: S and dP as m64n64, twice the work per shared-memory operand
/// byte and per tile's fixed costs of m64n32), else 32 (256/256, 192/192).
constexpr int kBwdDqRows = 128;
constexpr int kBwdDqKvBuffers = 3;
FG_HOST_DEVICE constexpr long long bwdDqSmemBytesAt(long long keys, long long dqk, long long dv,
                                                    long long elemBytes) {
  return kBwdDqRows * (dqk + dv) * elemBytes + kBwdDqKvBuffers * keys * (dqk + dv) * elemBytes +
         1024;
}
FG_HOST_DEVICE constexpr int bwdDqKeys(long long dqk, long long dv, long long elemBytes) {
  return bwdDqSmemBytesAt(64, dqk, dv, elemBytes) <= kSm90MaxDynamicSmem ? 64 : 32;
}
FG_HOST_DEVICE constexpr long long bwdDqSmemBytes(long long dqk, long long dv,
                                                  long long elemBytes) {
  return bwdDqSmemBytesAt(bwdDqKeys(dqk, dv, elemBytes), dqk, dv, elemBytes);
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
