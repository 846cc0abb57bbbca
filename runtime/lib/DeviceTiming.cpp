//===- DeviceTiming.cpp - device buffers and CUDA-event timing -*- C++ -*-===//
#include "flashgen/Runtime/DeviceTiming.h"

#include <algorithm>
#include <vector>

using namespace flashgen::runtime;

DeviceBuffer::DeviceBuffer(CudaDriver &d, size_t n) : d(d), bytes(n) {
  llvm::Expected<CUdeviceptr> r = d.alloc(n);
  if (r)
    p = *r;
  else
    error = r.takeError();
}

DeviceBuffer::~DeviceBuffer() {
  if (p)
    d.free(p);
}

llvm::Expected<double> flashgen::runtime::medianMs(CudaDriver &drv, CUstream stream, int reps,
                                                   llvm::function_ref<llvm::Error()> launch,
                                                   llvm::function_ref<llvm::Error()> beforeEach,
                                                   int warmups) {
  auto start = drv.createEvent(), stop = drv.createEvent();
  if (!start)
    return start.takeError();
  if (!stop)
    return stop.takeError();
  std::vector<float> ms;
  for (int i = 0; i < reps + warmups; ++i) {
    if (beforeEach)
      if (llvm::Error e = beforeEach())
        return std::move(e);
    if (llvm::Error e = drv.record(*start, stream))
      return std::move(e);
    if (llvm::Error e = launch())
      return std::move(e);
    if (llvm::Error e = drv.record(*stop, stream))
      return std::move(e);
    llvm::Expected<float> t = drv.elapsedMs(*start, *stop);
    if (!t)
      return t.takeError();
    if (i >= warmups)
      ms.push_back(*t);
  }
  std::sort(ms.begin(), ms.end());
  return double(ms[ms.size() / 2]);
}
