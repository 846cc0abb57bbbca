//===- CudaDriver.h - the CUDA driver API, opened with dlopen ---*- C++ -*-===//
//
// flashgen's binaries must start on machines without a GPU (CI, build
// hosts), so libcuda.so.1 is never linked: it is dlopen'ed on first use and
// every failure becomes an llvm::Error that says what is missing.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_CUDADRIVER_H
#define FLASHGEN_RUNTIME_CUDADRIVER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cuda.h> // types and enums only

#include <string>

namespace flashgen::runtime {

/// Facts about the current device, for tiling and the cache key.
struct DeviceInfo {
  std::string name;
  int ordinal = 0;
  int major = 0, minor = 0;
  int numSMs = 0;
  int smemPerBlockOptin = 0, smemPerSM = 0;
  int regsPerSM = 0, maxThreadsPerSM = 0, maxBlocksPerSM = 0;
  int l2Bytes = 0;
  int driverVersion = 0; // cuDriverGetVersion: 13000 for CUDA 13.0
  /// Peak clocks (kHz) and the memory bus width (bits), for the bandwidth
  /// and tensor-core rate estimates before `flashgen tune --calibrate`.
  int smClockKHz = 0, memClockKHz = 0, memBusBits = 0;
  /// "sm_90a" for compute capability 9.0 (wgmma needs the a-suffix), else
  /// "sm_XY".
  std::string arch() const;
};

/// The process-wide driver: loads libcuda.so.1, cuInit(0), retains the
/// primary context of device `FLASHGEN_DEVICE` (default 0) and makes it
/// current on the calling thread.
class CudaDriver {
public:
  /// The driver bound to device `ordinal` (its primary context, the one
  /// PyTorch and the CUDA runtime use too, made current on this thread), or
  /// why it cannot be used (no libcuda, no such device, ...). -1 is the
  /// default device: $FLASHGEN_DEVICE, else 0.
  static llvm::Expected<CudaDriver &> get(int ordinal = -1);
  /// The ordinal get(-1) stands for.
  static int defaultOrdinal();

  const DeviceInfo &device() const { return info; }

  /// Makes the primary context current on this thread.
  llvm::Error makeCurrent();

  llvm::Expected<CUmodule> loadModule(llvm::ArrayRef<char> image);
  llvm::Expected<CUfunction> getFunction(CUmodule module, llvm::StringRef name);
  llvm::Error setMaxDynamicSharedMemory(CUfunction f, int bytes);
  /// Registers per thread and local (spill) bytes per thread; -1 if unknown.
  std::pair<int, int> registersAndSpill(CUfunction f);
  /// `programmaticDependency` (sm_90+; ignored before): the kernel may
  /// start before the stream's previous kernel finishes, once that kernel
  /// lets it (templates' GridDependency.cuh); the kernel then waits for it
  /// before reading its results.
  llvm::Error launch(CUfunction f, unsigned gridX, unsigned gridY, unsigned gridZ,
                     unsigned block, unsigned smemBytes, CUstream stream,
                     void **args, bool programmaticDependency = false);
  void unloadModule(CUmodule module);
  /// A tensor map for the copy engine (TMA, sm_90): elements of
  /// `elemBytes` (2, or 1 for fp8), dims innermost first, byte strides of dims 1.., boxes of `box`
  /// elements landing in shared memory with the 128-byte swizzle that
  /// wgmma reads; elements out of bounds arrive as zeros.
  llvm::Error encodeTileMap(CUtensorMap &out, const void *base, llvm::ArrayRef<uint64_t> dims,
                            llvm::ArrayRef<uint64_t> strideBytes, llvm::ArrayRef<uint32_t> box,
                            int elemBytes = 2);

  /// Memory ordered on `stream`: usable by work queued after the call,
  /// returned once work queued before freeAsync is done. From flashgen's
  /// own pool, which keeps up to kPoolKeptBytes mapped across
  /// synchronizations (the device's default pool releases everything at
  /// each one, and remapping cost 35-60 us per launch that needed a
  /// temporary: split-KV partials, tile classes); the default pool where
  /// the device has no memory pools of its own making.
  llvm::Expected<CUdeviceptr> allocAsync(size_t bytes, CUstream stream);
  llvm::Error freeAsync(CUdeviceptr p, CUstream stream);
  /// Sets `bytes` bytes at dst to `value`, ordered on `stream`.
  llvm::Error memset8Async(CUdeviceptr dst, unsigned char value, size_t bytes, CUstream stream);

  // Used by tests and the bench: plain device memory and synchronization.
  llvm::Expected<CUdeviceptr> alloc(size_t bytes);
  void free(CUdeviceptr p);
  llvm::Error copyToDevice(CUdeviceptr dst, const void *src, size_t bytes);
  llvm::Error copyToHost(void *dst, CUdeviceptr src, size_t bytes);
  llvm::Error memset8(CUdeviceptr dst, unsigned char value, size_t bytes);
  llvm::Error synchronize();
  llvm::Expected<CUevent> createEvent();
  llvm::Error record(CUevent e, CUstream s);
  llvm::Expected<float> elapsedMs(CUevent start, CUevent stop);

  /// "cuFoo failed: CUDA_ERROR_X (description)".
  llvm::Error check(CUresult rc, llvm::StringRef what);

private:
  CudaDriver() = default;
  llvm::Error init(int ordinal);

  /// Bytes the pool keeps mapped when idle: the temporaries of the
  /// launches in flight (partial outputs of split-KV decoding reach
  /// ~100 MB at batch 64), not an unbounded cache.
  static constexpr uint64_t kPoolKeptBytes = 256ull << 20;

  void *lib = nullptr;
  CUcontext context = nullptr;
  CUmemoryPool pool = nullptr; // null: the device's default pool
  CUdevice dev = 0;
  DeviceInfo info;

#define FLASHGEN_DRIVER_FN(name) decltype(&::name) p_##name = nullptr;
#include "flashgen/Runtime/CudaDriverFunctions.def"
#undef FLASHGEN_DRIVER_FN
};

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_CUDADRIVER_H
