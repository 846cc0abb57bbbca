//===- BulkCopy.cuh - Hopper bulk asynchronous copies -----------*- CUDA -*-===//
//
// sm_90: the copy engine moves or reduces whole contiguous blocks between
// shared and global memory, issued by one thread and tracked in bulk
// groups. Used for fp32 add-reductions into global memory, which the L2
// applies a block at a time instead of one red per element pair from
// every thread.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_BULKCOPY_CUH
#define FLASHGEN_ATTENTION_BULKCOPY_CUH

#include "flashgen/Platform.cuh"

namespace flashgen {

/// dst[0, bytes / 4) += the fp32 values at shared address src,
/// asynchronously. Both 16-byte aligned, bytes a multiple of 16; src's
/// contents visible to the async proxy first (fenceProxyAsyncShared).
FG_DEVICE void bulkReduceAddF32(float *dst, uint32_t src, int bytes) {
  asm volatile("cp.reduce.async.bulk.global.shared::cta.bulk_group.add.f32 [%0], [%1], %2;\n"
               ::"l"(dst), "r"(src), "r"(bytes)
               : "memory");
}
/// Copies `bytes` from global `src` to shared `dst` on the copy engine,
/// completing as transaction bytes on mbarrier `bar` (Mbarrier.cuh). Both
/// 16-byte aligned, bytes a multiple of 16.
FG_DEVICE void bulkLoad(uint32_t dst, const void *src, int bytes, uint32_t bar) {
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes"
               " [%0], [%1], %2, [%3];\n" ::"r"(dst),
               "l"(src), "r"(bytes), "r"(bar)
               : "memory");
}
FG_DEVICE void bulkCommit() { asm volatile("cp.async.bulk.commit_group;\n" ::: "memory"); }
/// Waits until at most N of this thread's bulk groups still read their
/// shared-memory source.
template <int N> FG_DEVICE void bulkWaitRead() {
  asm volatile("cp.async.bulk.wait_group.read %0;\n" ::"n"(N) : "memory");
}
/// Waits until at most N of this thread's bulk groups are incomplete.
template <int N> FG_DEVICE void bulkWait() {
  asm volatile("cp.async.bulk.wait_group %0;\n" ::"n"(N) : "memory");
}

/// Orders this thread's generic-proxy and async-proxy (bulk copy) accesses
/// to global memory: a counter read or written beside bulk reductions.
FG_DEVICE void fenceProxyAsyncGlobal() {
  asm volatile("fence.proxy.async.global;\n" ::: "memory");
}
/// Spins until the counter at `ctr` is at least `value` (acquire, GPU
/// scope: what the thread that raised it wrote before is visible).
FG_DEVICE void waitCounterAtLeast(const int32_t *ctr, int32_t value) {
  int32_t v;
  for (;;) {
    asm volatile("ld.acquire.gpu.global.b32 %0, [%1];\n" : "=r"(v) : "l"(ctr) : "memory");
    if (v >= value)
      return;
    __nanosleep(64);
  }
}
/// Adds 1 to the counter at `ctr`, releasing this thread's earlier writes.
FG_DEVICE void releaseIncrement(int32_t *ctr) {
  asm volatile("red.release.gpu.global.add.s32 [%0], 1;\n" ::"l"(ctr) : "memory");
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_BULKCOPY_CUH
