//===- GridDependency.cuh - programmatic dependent launch -------*- CUDA -*-===//
//
// Split-KV decoding runs two kernels back to back: the forward writes
// partial results, the combine (Merge.cuh) merges them. Launched with
// programmatic stream serialization (CudaDriver::launch's
// `programmaticDependency`, sm_90+), the combine may start while the
// forward's last CTAs still run: the forward lets it launch once every one
// of its CTAs has started (gridDependentsMayLaunch), and the combine waits
// for the forward to finish and its writes to be visible before reading
// them (gridDependencyWait). Without that launch attribute, or before
// sm_90, both are no-ops and the kernels run one after the other as usual.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_GRIDDEPENDENCY_CUH
#define FLASHGEN_ATTENTION_GRIDDEPENDENCY_CUH

#include "flashgen/Platform.cuh"

namespace flashgen {

#if defined(__CUDA_ARCH__) || defined(__CUDACC_RTC__)
/// The dependent kernel may launch once all of this grid's CTAs got here
/// (or exited): it cannot take SM slots this grid still waits for.
FG_DEVICE void gridDependentsMayLaunch() {
#if __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

/// Waits until the grids this one depends on have completed and their
/// memory operations are visible.
FG_DEVICE void gridDependencyWait() {
#if __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
#endif

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_GRIDDEPENDENCY_CUH
