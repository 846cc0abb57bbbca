//===- FwdFp8.cuh - fp8 (e4m3) inputs for the sm_90a forward ----*- CUDA -*-===//
//
// The warp-specialized forward with Q, K, V in fp8 e4m3 (one byte each) and
// a bf16 output, on the 8-bit wgmma (m64nNk32, twice the 16-bit rate):
//
//   S = Q K^T   both operands K-major in shared memory, as the 16-bit
//               kernel's; Q's and K's descale factors are in the scale.
//   O += P V    P from registers as fp8, V^T from shared memory: 8-bit
//               wgmma reads no transposed (M/N-major) operand, so V comes
//               transposed, head-dim rows of keys, made by a pre-pass
//               (transposeValuesFp8 below, one read and one write of V:
//               O(N d) against the kernel's O(N^2 d)). V's descale scales O.
//
// P's register order. The S accumulator gives thread (g, t) of a warp the
// columns 2t, 2t+1 and 8 + 2t, 8 + 2t + 1 of each 16, rows g and g + 8;
// the 8-bit A operand wants bytes k = 4t .. 4t + 3 (then 16 + 4t ..) of
// the same rows. A sum over keys does not care about their order, so the
// A operand's k = 16 c + 4t + i holds key 16 c + 2t + (i & 1) + 8 (i >> 1)
// and V^T's column k holds the same key: the pre-pass writes V^T in that
// order, and P is packed with no shuffles (FlashAttention-3 permutes in
// registers instead).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_FWDFP8_CUH
#define FLASHGEN_ATTENTION_FWDFP8_CUH

#include "flashgen/attention/Params.cuh"

namespace flashgen {

/// The key that V^T's (and P's) position `k` holds (the permutation above;
/// within each 16, so position and key share their tile).
FG_HOST_DEVICE constexpr int fp8KeyAtPosition(int k) {
  return (k & ~15) + 2 * ((k & 15) >> 2) + (k & 1) + 8 * ((k >> 1) & 1);
}

/// Rows and key positions of the pre-pass's tile.
constexpr int kFp8TransposeKeys = 64, kFp8TransposeDims = 64, kFp8TransposeThreads = 256;

#if defined(__CUDA_ARCH__) || defined(__CUDACC_RTC__)

/// P of a warpgroup's S tile as the fp8 A fragments of P V^T: k-step ks
/// (32 keys, S's 8-column blocks 4 ks .. 4 ks + 3) in register order.
template <int NT>
FG_DEVICE void packTileFp8(uint32_t (&pf)[NT / 4][4], const float (&s)[1][NT][4]) {
#pragma unroll
  for (int ks = 0; ks < NT / 4; ++ks) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int n = 4 * ks + 2 * half;
      pf[ks][2 * half] = packFp8x4(s[0][n][0], s[0][n][1], s[0][n + 1][0], s[0][n + 1][1]);
      pf[ks][2 * half + 1] = packFp8x4(s[0][n][2], s[0][n][3], s[0][n + 1][2], s[0][n + 1][3]);
    }
  }
}

/// The pre-pass: V [batch][seqK][kvHeads][headDimV] (p's V strides) to
/// p.vTransposed [batch][kvHeads][headDimV][vtKeys], position k of a row
/// holding key fp8KeyAtPosition(k), zero past seqK. CTA (x, y, z): key
/// positions 64 x, head-dim rows 64 y, batch entry and kv head z. Head
/// dims are multiples of 16 and V's rows 16-byte aligned (LaunchArgs).
FG_DEVICE void transposeValuesFp8(const FwdParams &p) {
  __shared__ __align__(16) uint8_t tile[kFp8TransposeKeys][kFp8TransposeDims + 16];
  const int k0 = blockIdx.x * kFp8TransposeKeys, d0 = blockIdx.y * kFp8TransposeDims;
  const int b = blockIdx.z / p.kvHeads, hk = blockIdx.z % p.kvHeads;
  const int tid = threadIdx.x;
  const uint8_t *v = static_cast<const uint8_t *>(p.v) + b * p.vBatchStride + hk * p.vHeadStride;
  // Load: 64 keys x 64 bytes, 16 bytes per thread.
  {
    const int key = tid / 4, c = (tid % 4) * 16;
    uint4 x = make_uint4(0, 0, 0, 0);
    if (k0 + key < p.seqK && d0 + c < p.headDimV)
      x = *reinterpret_cast<const uint4 *>(v + int64_t(k0 + key) * p.vRowStride + d0 + c);
    *reinterpret_cast<uint4 *>(&tile[key][c]) = x;
  }
  __syncthreads();
  // Store: 64 rows x 64 positions, 16 per thread.
  const int d = tid / 4, k = (tid % 4) * 16;
  if (d0 + d >= p.headDimV || k0 + k >= p.vtKeys)
    return;
  uint32_t w[4];
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    uint32_t x = 0;
#pragma unroll
    for (int j = 0; j < 4; ++j)
      x |= uint32_t(tile[fp8KeyAtPosition(k + 4 * i + j)][d]) << (8 * j);
    w[i] = x;
  }
  uint8_t *out = p.vTransposed +
                 ((int64_t(b) * p.kvHeads + hk) * p.headDimV + d0 + d) * p.vtKeys + k0 + k;
  *reinterpret_cast<uint4 *>(out) = make_uint4(w[0], w[1], w[2], w[3]);
}

#endif

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_FWDFP8_CUH
