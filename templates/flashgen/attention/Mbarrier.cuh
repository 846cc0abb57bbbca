//===- Mbarrier.cuh - shared-memory barriers for producer/consumer warps -*- CUDA -*-===//
//
// sm_90: mbarriers (a 64-bit object in shared memory that completes a phase
// once its expected number of threads arrived; waiters test the phase's
// parity), named CTA barriers (bar.sync/bar.arrive with an id and a thread
// count: one group waits while another only signals), and setmaxnreg
// (moves registers between warpgroups whose roles differ).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_MBARRIER_CUH
#define FLASHGEN_ATTENTION_MBARRIER_CUH

#include "flashgen/attention/SmemTile.cuh"

namespace flashgen {

/// One thread initializes; a __syncthreads() before first use publishes it.
FG_DEVICE void mbarrierInit(uint32_t bar, int count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}

/// Arrives (release at CTA scope: this thread's prior writes are visible
/// to threads that see the phase complete).
FG_DEVICE void mbarrierArrive(uint32_t bar) {
  asm volatile("{\n .reg .b64 state;\n mbarrier.arrive.shared::cta.b64 state, [%0];\n}\n" ::"r"(bar)
               : "memory");
}

/// Arrives and adds `bytes` to the transactions the current phase waits
/// for (the copy engine's writes complete them).
FG_DEVICE void mbarrierArriveExpectTx(uint32_t bar, uint32_t bytes) {
  asm volatile("{\n .reg .b64 state;\n mbarrier.arrive.expect_tx.shared::cta.b64 state, [%0], %1;\n}\n" ::"r"(bar),
               "r"(bytes)
               : "memory");
}

/// Waits until the phase with this parity has completed (acquire).
FG_DEVICE void mbarrierWait(uint32_t bar, uint32_t parity) {
  asm volatile("{\n"
               " .reg .pred done;\n"
               "WAIT:\n"
               " mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
               " @!done bra WAIT;\n"
               "}\n" ::"r"(bar),
               "r"(parity)
               : "memory");
}

/// Named barrier `id` (1..15; 0 is __syncthreads) over `threads` threads:
/// sync waits for all of them, arrive only counts this warp in.
FG_DEVICE void namedBarrierSync(int id, int threads) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}
FG_DEVICE void namedBarrierArrive(int id, int threads) {
  asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

/// Per-warpgroup register budgets (sm_90a; the kernel needs a register cap
/// at entry, __launch_bounds__(threads, 1)).
template <int Regs> FG_DEVICE void setMaxRegsDec() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(Regs));
}
template <int Regs> FG_DEVICE void setMaxRegsInc() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(Regs));
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_MBARRIER_CUH
