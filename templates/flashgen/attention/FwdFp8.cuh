//===- FwdFp8.cuh - fp8 (e4m3) inputs for the sm_90a forward ----*- CUDA -*-===//
//
// The warp-specialized forward with Q, K, V in fp8 e4m3 (one byte each) and
// a bf16 output, on the 8-bit wgmma (m64nNk32, twice the 16-bit rate):
//
//   S = Q K^T   both operands K-major in shared memory, as the 16-bit
//               kernel's; Q's and K's descale factors are in the scale.
//   O += P V    P from registers as fp8, V^T from shared memory: 8-bit
//               wgmma reads no transposed (M/N-major) operand, so V is
//               transposed in the kernel: the copy engine loads V's tile
//               as it is (key rows, a staging buffer), two producer warps
//               write V^T (head-dim rows of keys) into the consumers'
//               buffer (transposeTileFp8 below). V's descale scales O.
//               (Until session 31 a pre-pass kernel wrote V^T to global
//               memory: one more read and write of V per call, which is
//               all of a decoding launch's traffic again, and no paged,
//               split or per-entry-length launch could use it.)
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

/// The producer warpgroup's warps that transpose V (its last two: the
/// first issues the copies, the second stages mask columns).
constexpr int kFp8TransposerWarps = 2, kFp8FirstTransposerWarp = 2;

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

/// V^T of one kv tile. `stage`: the copy engine's tile of V, Stage (BN
/// key rows of 128 bytes, 128-byte swizzle; head-dim bytes [0, DV), zeros
/// past V's head dim); `vt`: the consumers' V^T tile, VT (DV head-dim rows
/// of BN key positions, 128-byte atoms of positions, position k of a row
/// holding key fp8KeyAtPosition(k)). Keys at or past `validKeys` become
/// zeros: rows past an entry's key length (per-entry lengths, pages) hold
/// anything, and 0 x NaN is NaN in P V. `worker`: this warp's index among
/// kFp8TransposerWarps.
///
/// A lane moves 4 keys x 4 head-dim bytes per step: four 32-bit loads
/// (keys 2i, 2i + 1, 2i + 8, 2i + 9 of a 16-key chunk, the keys of
/// positions 4i .. 4i + 3), a byte transpose by prmt, four 32-bit stores
/// (one per head-dim row). Lane l takes i = l % 4 and the head-dim bytes
/// 4 (l / 4) .. + 3 of a 32-byte column block: the loads of a warp touch
/// 8 distinct swizzled chunks x 4 words, all 32 banks. Its stores go to
/// rows 4 (l / 4) + e; lane l stores row e = (r + l / 8) % 4 at its r-th
/// store, so the rows (mod 8) of a warp's stores take all 8 values and
/// their swizzled chunks x i again cover all 32 banks.
template <class Stage, class VT, int BN, int DV>
FG_DEVICE void transposeTileFp8(uint32_t stage, uint32_t vt, int validKeys, int worker,
                                int lane) {
  constexpr int kColumnBlocks = DV / 32, kSteps = (BN / 16) * kColumnBlocks;
  static_assert(DV % 32 == 0 && BN % 128 == 0 && kSteps % kFp8TransposerWarps == 0,
                "whole steps per transposing warp");
  const int i = lane % 4, dqLane = lane / 4, rotate = lane / 8;
#pragma unroll 1
  for (int step = worker; step < kSteps; step += kFp8TransposerWarps) {
    const int chunk = step / kColumnBlocks, dq = (step % kColumnBlocks) * 8 + dqLane;
    uint32_t a[4];
#pragma unroll
    for (int n = 0; n < 4; ++n) {
      const int key = 16 * chunk + 2 * i + (n & 1) + 8 * (n >> 1);
      uint32_t x;
      asm volatile("ld.shared.b32 %0, [%1];\n"
                   : "=r"(x)
                   : "r"(stage + key * 128 + (((dq / 4) ^ (key % 8)) * 16) + (dq % 4) * 4));
      a[n] = key < validKeys ? x : 0u;
    }
    const int pos = 16 * chunk + 4 * i;
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int e = (r + rotate) % 4, d = 4 * dq + e;
      // Byte e of each key's word: [a0.e, a1.e, a2.e, a3.e].
      const uint32_t sel = uint32_t(e) | (uint32_t(e + 4) << 4);
      const uint32_t word = __byte_perm(__byte_perm(a[0], a[1], sel),
                                        __byte_perm(a[2], a[3], sel), 0x5410);
      asm volatile("st.shared.b32 [%0], %1;\n" ::"r"(
                       vt + (pos / 128) * VT::kAtomBytes + d * 128 +
                       ((((pos % 128) / 16) ^ (d % 8)) * 16) + (pos % 16)),
                   "r"(word));
    }
  }
}

#endif

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_FWDFP8_CUH
