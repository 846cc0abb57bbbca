//===- Calibrate.cuh - what the GPU's memory and tensor cores deliver -*- CUDA -*-===//
//
// The kernels behind `flashgen tune --calibrate`: the IO cost model and the
// planner need the device's achievable HBM bandwidth and 16-bit tensor-core
// rate, which no device attribute states. Measured once per GPU and stored
// in the tuning database (runtime/Calibration.h).
//
//   flashgen_calibrate_copy: a grid-stride 16-byte copy between buffers far
//     larger than L2 (bytes read + written per second).
//   flashgen_calibrate_wgmma (sm_90a): each warpgroup chains m64n128k16
//     wgmmas on operands resident in shared memory, so only the tensor
//     cores limit it (the rate a well-fed attention kernel can approach).
//   flashgen_calibrate_mma (sm_80+): the same with mma.sync m16n8k16 on
//     register operands, for GPUs without wgmma.
//
// Operands are small finite values (no zeros: a multiplier fed zeros draws
// less power and may clock higher than real work lets it).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_CALIBRATE_CALIBRATE_CUH
#define FLASHGEN_CALIBRATE_CALIBRATE_CUH

#include "flashgen/Platform.cuh"
#include "flashgen/calibrate/CalibrateShape.cuh"
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#include "flashgen/attention/Wgmma.cuh"
#endif

extern "C" __global__ void flashgen_calibrate_copy(const uint4 *src, uint4 *dst, size_t n) {
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x)
    dst[i] = src[i];
}

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
extern "C" __global__ void __launch_bounds__(flashgen::kCalibrateWgmmaThreads)
    flashgen_calibrate_wgmma(float *out, int iters) {
  using namespace flashgen;
  using ATile = WgmmaTile<64, 64>;
  using BTile = WgmmaTile<128, 64>;
  __shared__ __align__(1024) uint8_t smem[ATile::kBytes + BTile::kBytes];
  // bf16 0x3c00..0x3c7f: values in [0.0078, 0.0156).
  for (int i = threadIdx.x; i < int(sizeof(smem) / 2); i += blockDim.x)
    reinterpret_cast<uint16_t *>(smem)[i] = uint16_t(0x3c00 | (i & 0x7f));
  fenceProxyAsyncShared();
  __syncthreads();
  const uint32_t a = smemAddress(smem), b = a + ATile::kBytes;
  float d[16][4];
#pragma unroll
  for (int j = 0; j < 16; ++j)
    d[j][0] = d[j][1] = d[j][2] = d[j][3] = 0.f;
  wgmmaFence();
  for (int it = 0; it < iters; ++it) {
#pragma unroll
    for (int ks = 0; ks < 4; ++ks)
      WgmmaSS<BF16, 128>::run(d, ATile::kMajor(a, ks), BTile::kMajor(b, ks), 1);
    wgmmaCommit();
    wgmmaWait<1>();
  }
  wgmmaWait<0>();
  wgmmaFenceOperands(d);
  float sum = 0.f;
#pragma unroll
  for (int j = 0; j < 16; ++j)
    sum += d[j][0] + d[j][1] + d[j][2] + d[j][3];
  out[blockIdx.x * blockDim.x + threadIdx.x] = sum;
}
#endif

#if __CUDA_ARCH__ >= 800
extern "C" __global__ void __launch_bounds__(flashgen::kCalibrateMmaThreads)
    flashgen_calibrate_mma(float *out, int iters) {
  const uint32_t x = 0x3c003c00u | (threadIdx.x & 0x7f);
  uint32_t a[4] = {x, x ^ 1u, x ^ 2u, x ^ 3u}, b[2] = {x ^ 4u, x ^ 5u};
  float c[4][4] = {};
  for (int it = 0; it < iters; ++it) {
#pragma unroll
    for (int j = 0; j < 4; ++j)
      asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                   "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                   : "+f"(c[j][0]), "+f"(c[j][1]), "+f"(c[j][2]), "+f"(c[j][3])
                   : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }
  float sum = 0.f;
#pragma unroll
  for (int j = 0; j < 4; ++j)
    sum += c[j][0] + c[j][1] + c[j][2] + c[j][3];
  out[blockIdx.x * blockDim.x + threadIdx.x] = sum;
}
#endif

#endif // FLASHGEN_CALIBRATE_CALIBRATE_CUH
