//===- DeviceTiming.h - device buffers and CUDA-event timing ----*- C++ -*-===//
//
// What the checks (Check.h) and the calibration (Calibration.h) both need
// to time work on the GPU: device memory freed on scope exit, and the
// median of timed launches between CUDA events.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_DEVICETIMING_H
#define FLASHGEN_RUNTIME_DEVICETIMING_H

#include "flashgen/Runtime/CudaDriver.h"

#include "llvm/ADT/STLFunctionalExtras.h"

namespace flashgen::runtime {

/// `bytes` of device memory, freed on scope exit; `error` says why the
/// allocation failed (then `p` is 0).
struct DeviceBuffer {
  CudaDriver &d;
  CUdeviceptr p = 0;
  size_t bytes = 0;
  llvm::Error error = llvm::Error::success();
  DeviceBuffer(CudaDriver &d, size_t n);
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  void *ptr() const { return reinterpret_cast<void *>(p); }
};

/// Median time (ms) of `reps` launches after `warmups` untimed ones, CUDA
/// events on `stream`; `beforeEach` (if set) runs before each launch,
/// outside the timed span.
llvm::Expected<double> medianMs(CudaDriver &drv, CUstream stream, int reps,
                                llvm::function_ref<llvm::Error()> launch,
                                llvm::function_ref<llvm::Error()> beforeEach = nullptr,
                                int warmups = 3);

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_DEVICETIMING_H
