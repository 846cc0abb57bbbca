//===- CudaDriver.cpp - the CUDA driver API, opened with dlopen -*- C++ -*-===//
#include "flashgen/Runtime/CudaDriver.h"
#include "flashgen/Codegen/ErrorKind.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

using namespace flashgen::runtime;

#define FLASHGEN_STR2(x) #x
#define FLASHGEN_STR(x) FLASHGEN_STR2(x)

std::string DeviceInfo::arch() const {
  std::string a = "sm_" + std::to_string(major) + std::to_string(minor);
  return major == 9 && minor == 0 ? a + "a" : a;
}

llvm::Error CudaDriver::check(CUresult rc, llvm::StringRef what) {
  if (rc == CUDA_SUCCESS)
    return llvm::Error::success();
  const char *name = nullptr, *desc = nullptr;
  if (p_cuGetErrorName)
    p_cuGetErrorName(rc, &name);
  if (p_cuGetErrorString)
    p_cuGetErrorString(rc, &desc);
  return makeError(flashgen::ErrorKind::Cuda, what + " failed: " +
                                                 (name ? name : "unknown error") + " (" +
                                                 (desc ? desc : "no description") + ")");
}

llvm::Error CudaDriver::init(int ordinal) {
  lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    return makeError(flashgen::ErrorKind::NoDevice,
                     llvm::Twine("no CUDA driver: dlopen(libcuda.so.1) failed: ") + dlerror());
#define FLASHGEN_DRIVER_FN(fn)                                                 \
  p_##fn = reinterpret_cast<decltype(p_##fn)>(dlsym(lib, FLASHGEN_STR(fn)));   \
  if (!p_##fn)                                                                 \
    return makeError(flashgen::ErrorKind::NoDevice,                            \
                     "the CUDA driver lacks " FLASHGEN_STR(fn));
#include "flashgen/Runtime/CudaDriverFunctions.def"
#undef FLASHGEN_DRIVER_FN
  if (auto e = check(p_cuInit(0), "cuInit"))
    return e;
  int count = 0;
  if (auto e = check(p_cuDeviceGetCount(&count), "cuDeviceGetCount"))
    return e;
  if (count == 0 || ordinal < 0 || ordinal >= count)
    return makeError(flashgen::ErrorKind::NoDevice, "no CUDA device " + llvm::Twine(ordinal) +
                                                        " (" + llvm::Twine(count) + " present)");
  if (auto e = check(p_cuDeviceGet(&dev, ordinal), "cuDeviceGet"))
    return e;
  char name[256] = {0};
  p_cuDeviceGetName(name, sizeof(name), dev);
  info.name = name;
  info.ordinal = ordinal;
  auto attr = [&](CUdevice_attribute a) {
    int v = 0;
    p_cuDeviceGetAttribute(&v, a, dev);
    return v;
  };
  info.major = attr(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
  info.minor = attr(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
  info.numSMs = attr(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
  info.smemPerBlockOptin = attr(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
  info.smemPerSM = attr(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR);
  info.regsPerSM = attr(CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR);
  info.maxThreadsPerSM = attr(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR);
  info.maxBlocksPerSM = attr(CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR);
  info.l2Bytes = attr(CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE);
  info.smClockKHz = attr(CU_DEVICE_ATTRIBUTE_CLOCK_RATE);
  info.memClockKHz = attr(CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE);
  info.memBusBits = attr(CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH);
  p_cuDriverGetVersion(&info.driverVersion);
  if (info.major < 8)
    return makeError(flashgen::ErrorKind::NoDevice,
                     llvm::Twine(name) + " is sm_" + llvm::Twine(info.major) +
                         llvm::Twine(info.minor) + "; flashgen's kernels need sm_80 or newer");
  if (auto e = check(p_cuDevicePrimaryCtxRetain(&context, dev), "cuDevicePrimaryCtxRetain"))
    return e;
  if (auto e = makeCurrent())
    return e;
  // flashgen's pool for stream-ordered temporaries (allocAsync); without
  // it, the default pool.
  if (attr(CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED)) {
    CUmemPoolProps props{};
    props.allocType = CU_MEM_ALLOCATION_TYPE_PINNED;
    props.handleTypes = CU_MEM_HANDLE_TYPE_NONE;
    props.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
    props.location.id = ordinal;
    if (p_cuMemPoolCreate(&pool, &props) == CUDA_SUCCESS) {
      uint64_t kept = kPoolKeptBytes;
      if (p_cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &kept) !=
          CUDA_SUCCESS)
        pool = nullptr; // (leaked: one small pool, only on a driver fault)
    } else {
      pool = nullptr;
    }
  }
  return llvm::Error::success();
}

int CudaDriver::defaultOrdinal() {
  const char *env = std::getenv("FLASHGEN_DEVICE");
  return env ? std::atoi(env) : 0;
}

namespace {
/// One driver per device ordinal, initialized on first use (dlopen of the
/// same library returns the same handle, so they share libcuda).
constexpr int kMaxDevices = 64;
} // namespace

llvm::Expected<CudaDriver &> CudaDriver::get(int ordinal) {
  if (ordinal < 0)
    ordinal = defaultOrdinal();
  if (ordinal < 0 || ordinal >= kMaxDevices)
    return makeError(flashgen::ErrorKind::NoDevice,
                     "no CUDA device " + llvm::Twine(ordinal) + " (device ordinals are 0.." +
                         llvm::Twine(kMaxDevices - 1) + ")");
  static CudaDriver drivers[kMaxDevices];
  static std::once_flag once[kMaxDevices];
  // A failed initialization is remembered (kind and message) and returned
  // to every later caller.
  static std::pair<flashgen::ErrorKind, std::string> error[kMaxDevices];
  std::call_once(once[ordinal], [ordinal] {
    if (llvm::Error e = drivers[ordinal].init(ordinal))
      error[ordinal] = flashgen::takeKindAndMessage(std::move(e), flashgen::ErrorKind::Cuda);
  });
  if (!error[ordinal].second.empty())
    return makeError(error[ordinal].first, error[ordinal].second);
  CudaDriver &driver = drivers[ordinal];
  if (auto e = driver.makeCurrent())
    return std::move(e);
  return driver;
}

llvm::Error CudaDriver::makeCurrent() {
  return check(p_cuCtxSetCurrent(context), "cuCtxSetCurrent");
}

llvm::Expected<CUmodule> CudaDriver::loadModule(llvm::ArrayRef<char> image) {
  CUmodule m = nullptr;
  if (auto e = check(p_cuModuleLoadData(&m, image.data()), "cuModuleLoadData"))
    return std::move(e);
  return m;
}

llvm::Expected<CUfunction> CudaDriver::getFunction(CUmodule module, llvm::StringRef name) {
  CUfunction f = nullptr;
  if (auto e = check(p_cuModuleGetFunction(&f, module, name.str().c_str()),
                     "cuModuleGetFunction(" + name.str() + ")"))
    return std::move(e);
  return f;
}

llvm::Error CudaDriver::setMaxDynamicSharedMemory(CUfunction f, int bytes) {
  return check(p_cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
               "cuFuncSetAttribute(max dynamic shared memory)");
}

std::pair<int, int> CudaDriver::registersAndSpill(CUfunction f) {
  int regs = -1, local = -1;
  if (p_cuFuncGetAttribute(&regs, CU_FUNC_ATTRIBUTE_NUM_REGS, f) != CUDA_SUCCESS)
    regs = -1;
  if (p_cuFuncGetAttribute(&local, CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES, f) != CUDA_SUCCESS)
    local = -1;
  return {regs, local};
}

llvm::Error CudaDriver::encodeTileMap(CUtensorMap &out, const void *base,
                                      llvm::ArrayRef<uint64_t> dims,
                                      llvm::ArrayRef<uint64_t> strideBytes,
                                      llvm::ArrayRef<uint32_t> box, int elemBytes) {
  const uint32_t rank = uint32_t(dims.size());
  if (rank == 0 || rank > 5 || strideBytes.size() + 1 != rank || box.size() != rank)
    return makeError(flashgen::ErrorKind::Argument,
                     "tensor map: " + llvm::Twine(rank) + " dims, " +
                         llvm::Twine(strideBytes.size()) + " strides, " +
                         llvm::Twine(box.size()) + " box dims");
  const uint32_t ones[5] = {1, 1, 1, 1, 1};
  return check(p_cuTensorMapEncodeTiled(
                   &out, elemBytes == 1 ? CU_TENSOR_MAP_DATA_TYPE_UINT8 : CU_TENSOR_MAP_DATA_TYPE_UINT16, rank, const_cast<void *>(base),
                   dims.data(), strideBytes.data(), box.data(), ones,
                   CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                   CU_TENSOR_MAP_L2_PROMOTION_L2_128B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE),
               "cuTensorMapEncodeTiled");
}

llvm::Error CudaDriver::launch(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                               unsigned block, unsigned smem, CUstream stream,
                               void **args, bool programmaticDependency) {
  if (!programmaticDependency || info.major < 9)
    return check(p_cuLaunchKernel(f, gx, gy, gz, block, 1, 1, smem, stream, args, nullptr),
                 "cuLaunchKernel");
  CUlaunchAttribute attr{};
  attr.id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
  attr.value.programmaticStreamSerializationAllowed = 1;
  CUlaunchConfig config{};
  config.gridDimX = gx;
  config.gridDimY = gy;
  config.gridDimZ = gz;
  config.blockDimX = block;
  config.blockDimY = config.blockDimZ = 1;
  config.sharedMemBytes = smem;
  config.hStream = stream;
  config.attrs = &attr;
  config.numAttrs = 1;
  return check(p_cuLaunchKernelEx(&config, f, args, nullptr), "cuLaunchKernelEx");
}

void CudaDriver::unloadModule(CUmodule module) {
  if (module)
    p_cuModuleUnload(module);
}

llvm::Expected<CUdeviceptr> CudaDriver::alloc(size_t bytes) {
  CUdeviceptr p = 0;
  if (auto e = check(p_cuMemAlloc(&p, bytes ? bytes : 1), "cuMemAlloc"))
    return std::move(e);
  return p;
}
llvm::Expected<CUdeviceptr> CudaDriver::allocAsync(size_t bytes, CUstream stream) {
  CUdeviceptr p = 0;
  if (pool) {
    if (auto e = check(p_cuMemAllocFromPoolAsync(&p, bytes ? bytes : 1, pool, stream),
                       "cuMemAllocFromPoolAsync"))
      return std::move(e);
    return p;
  }
  if (auto e = check(p_cuMemAllocAsync(&p, bytes ? bytes : 1, stream), "cuMemAllocAsync"))
    return std::move(e);
  return p;
}
llvm::Error CudaDriver::freeAsync(CUdeviceptr p, CUstream stream) {
  return p ? check(p_cuMemFreeAsync(p, stream), "cuMemFreeAsync") : llvm::Error::success();
}
void CudaDriver::free(CUdeviceptr p) {
  if (p)
    p_cuMemFree(p);
}
llvm::Error CudaDriver::copyToDevice(CUdeviceptr dst, const void *src, size_t bytes) {
  return check(p_cuMemcpyHtoD(dst, src, bytes), "cuMemcpyHtoD");
}
llvm::Error CudaDriver::copyToHost(void *dst, CUdeviceptr src, size_t bytes) {
  return check(p_cuMemcpyDtoH(dst, src, bytes), "cuMemcpyDtoH");
}
llvm::Error CudaDriver::memset8Async(CUdeviceptr dst, unsigned char v, size_t bytes,
                                     CUstream stream) {
  return check(p_cuMemsetD8Async(dst, v, bytes, stream), "cuMemsetD8Async");
}
llvm::Error CudaDriver::memset8(CUdeviceptr dst, unsigned char v, size_t bytes) {
  return check(p_cuMemsetD8(dst, v, bytes), "cuMemsetD8");
}
llvm::Error CudaDriver::synchronize() {
  return check(p_cuCtxSynchronize(), "cuCtxSynchronize (a kernel failed)");
}
llvm::Expected<CUevent> CudaDriver::createEvent() {
  CUevent e = nullptr;
  if (auto err = check(p_cuEventCreate(&e, CU_EVENT_DEFAULT), "cuEventCreate"))
    return std::move(err);
  return e;
}
llvm::Error CudaDriver::record(CUevent e, CUstream s) {
  return check(p_cuEventRecord(e, s), "cuEventRecord");
}
llvm::Expected<float> CudaDriver::elapsedMs(CUevent start, CUevent stop) {
  if (auto e = check(p_cuEventSynchronize(stop), "cuEventSynchronize"))
    return std::move(e);
  float ms = 0;
  if (auto e = check(p_cuEventElapsedTime(&ms, start, stop), "cuEventElapsedTime"))
    return std::move(e);
  return ms;
}
