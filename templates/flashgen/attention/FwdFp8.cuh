//===- FwdFp8.cuh - fp8 (e4m3) inputs for the sm_90a forward ----*- CUDA -*-===//
//
// The warp-specialized forward with Q, K, V in fp8 e4m3 (one byte each) and
// a bf16 output, on the 8-bit wgmma (m64nNk32, twice the 16-bit rate):
//
//   S = Q K^T   both operands K-major in shared memory, as the 16-bit
//               kernel's; Q's and K's descale factors are in the scale.
//   O += P V    P from registers as fp8, V^T from shared memory: 8-bit
//               wgmma reads no transposed (M/N-major) operand, so V comes
//               transposed, head-dim rows of keys, made one of two ways:
//   - a prefill launch: by a pre-pass (transposeValuesFp8 below, one read
//     and one write of V: O(N d) against the kernel's O(N^2 d), 1-2% of
//     it) into global memory, which the copy engine loads;
//   - a decoding launch (the module with decoding features, FwdDecoding.cuh:
//     split, paged, per-entry lengths; and varlen or kvBatchIndex, which the
//     pre-pass does not lay out): in the kernel. The copy engine lands V as
//     it is in a staging ring and two producer warps write V^T
//     (transposeTileFp8 below). There the pre-pass would double the
//     launch's traffic, and pages or lengths would need a pre-pass of
//     their own. In a prefill kernel the transposing warps' instructions
//     would take issue slots from the consumers' softmax, its bound.
//   V's descale scales O.
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

#include "flashgen/attention/FwdDecoding.cuh"
#include "flashgen/attention/Params.cuh"

namespace flashgen {

/// The key that V^T's (and P's) position `k` holds (the permutation above;
/// within each 16, so position and key share their tile).
FG_HOST_DEVICE constexpr int fp8KeyAtPosition(int k) {
  return (k & ~15) + 2 * ((k & 15) >> 2) + (k & 1) + 8 * ((k >> 1) & 1);
}

/// Rows and key positions of the pre-pass's tile.
constexpr int kFp8TransposeKeys = 64, kFp8TransposeDims = 64, kFp8TransposeThreads = 256;

/// The producer warpgroup's warps that transpose V (its last two: the
/// first issues the copies, the second stages mask columns).
constexpr int kFp8TransposerWarps = 2, kFp8FirstTransposerWarp = 2;
/// Whether this source's fp8 kernel transposes V itself (decoding
/// features) or reads the pre-pass's V^T.
constexpr bool kFp8VInKernel = kFwdDecoding;

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

/// 4 x 4 bytes transposed: out[e] = byte e of each of w0..w3, in order.
FG_DEVICE void transposeBytes4x4(uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3,
                                 uint32_t (&out)[4]) {
  const uint32_t lo01 = __byte_perm(w0, w1, 0x5140), hi01 = __byte_perm(w0, w1, 0x7362);
  const uint32_t lo23 = __byte_perm(w2, w3, 0x5140), hi23 = __byte_perm(w2, w3, 0x7362);
  out[0] = __byte_perm(lo01, lo23, 0x5410);
  out[1] = __byte_perm(lo01, lo23, 0x7632);
  out[2] = __byte_perm(hi01, hi23, 0x5410);
  out[3] = __byte_perm(hi01, hi23, 0x7632);
}

/// V^T of one kv tile. `stage`: the copy engine's tile of V
/// (Cfg::VStageTile: BN key rows of 128 bytes, 128-byte swizzle; head-dim
/// bytes [0, DV), zeros past V's head dim); `vt`: the consumers' V^T tile,
/// VT (DV head-dim rows of BN key positions, 128-byte atoms of positions,
/// position k of a row holding key fp8KeyAtPosition(k)). Keys at or past
/// `validKeys` become zeros: rows past an entry's key length (per-entry
/// lengths, pages) hold anything, and 0 x NaN is NaN in P V. `worker`:
/// this warp's index among kFp8TransposerWarps.
///
/// A lane moves 4 keys x 8 head-dim bytes per step: four 64-bit loads (keys
/// 2i, 2i + 1, 2i + 8, 2i + 9 of 16-key chunk x: the keys of positions
/// 4i .. 4i + 3), two 4 x 4 byte transposes (prmt), eight 32-bit stores
/// (one per head-dim row). Lane l takes i = l % 4 and chunk x = l / 4 of
/// the atom, and in step o the 8-byte column (x + o) % 8 of a 64-byte
/// column block: a warp's loads then touch every 16-byte chunk of the
/// swizzled rows twice (2 wavefronts for 256 bytes), and its r-th store
/// writes row r of the column's 8 at chunk x ^ r: 8 chunks x 4 words, all
/// 32 banks. Both tiles' rows are 128-byte aligned and the swizzle XORs
/// address bits 4-6 only, so a swizzled address is one XOR of an aligned
/// one, and the row steps are the instructions' immediate offsets.
template <class VT, int BN, int DV>
FG_DEVICE void transposeTileFp8(uint32_t stage, uint32_t vt, int validKeys, int worker,
                                int lane) {
  static_assert(DV % 64 == 0 && BN % 128 == 0 && 8 % kFp8TransposerWarps == 0,
                "whole steps per transposing warp");
  const uint32_t i = lane % 4, x = lane / 4;
  // Keys 16 x + 2i + {0, 1, 8, 9} of an atom (rows +0, +128, +1024, +1152;
  // key % 8: 2i, 2i + 1, 2i, 2i + 1).
  const uint32_t stageRow = stage + (16 * x + 2 * i) * 128, swizzle = i << 5;
  const uint32_t vtLane = vt + x * 16 + 4 * i;
#pragma unroll
  for (int atom = 0; atom < BN / 128; ++atom) {
    const int key0 = atom * 128 + int(16 * x + 2 * i);
    const bool keep[4] = {key0 < validKeys, key0 + 1 < validKeys, key0 + 8 < validKeys,
                          key0 + 9 < validKeys};
#pragma unroll
    for (int block = 0; block < DV / 64; ++block) {
#pragma unroll 1
      for (uint32_t o = worker; o < 8; o += kFp8TransposerWarps) {
        const uint32_t column = block * 8 + ((x + o) & 7); // of 8 bytes
        const uint32_t even = stageRow + atom * 128 * 128 + ((column * 8) ^ swizzle);
        const uint32_t odd = even ^ 16;
        uint32_t lo[4], hi[4];
        asm volatile("ld.shared.v2.b32 {%0, %1}, [%2];\n"
                     : "=r"(lo[0]), "=r"(hi[0]) : "r"(even));
        asm volatile("ld.shared.v2.b32 {%0, %1}, [%2+128];\n"
                     : "=r"(lo[1]), "=r"(hi[1]) : "r"(odd));
        asm volatile("ld.shared.v2.b32 {%0, %1}, [%2+1024];\n"
                     : "=r"(lo[2]), "=r"(hi[2]) : "r"(even));
        asm volatile("ld.shared.v2.b32 {%0, %1}, [%2+1152];\n"
                     : "=r"(lo[3]), "=r"(hi[3]) : "r"(odd));
#pragma unroll
        for (int n = 0; n < 4; ++n)
          if (!keep[n])
            lo[n] = hi[n] = 0u;
        // Head-dim rows 8 column + r, r = 0..7; position 16 x + 4i.
        const uint32_t out = vtLane + atom * VT::kAtomBytes + column * 8 * 128;
#pragma unroll
        for (int half = 0; half < 2; ++half) {
          uint32_t w[4];
          if (half == 0)
            transposeBytes4x4(lo[0], lo[1], lo[2], lo[3], w);
          else
            transposeBytes4x4(hi[0], hi[1], hi[2], hi[3], w);
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const uint32_t r = 4 * half + e;
            asm volatile("st.shared.b32 [%0], %1;\n" ::"r"((out ^ (r << 4)) + r * 128),
                         "r"(w[e]));
          }
        }
      }
    }
  }
}

#endif

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_FWDFP8_CUH
