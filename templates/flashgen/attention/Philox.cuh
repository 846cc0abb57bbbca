//===- Philox.cuh - counter-based random numbers for dropout ----*- CUDA -*-===//
//
// Philox4x32-10 (Salmon et al., SC'11): four 32-bit outputs from a 128-bit
// counter and a 64-bit key. Dropout keys it with the user's seed and counts
// with (offset, element index), so the backward pass regenerates exactly the
// forward's mask without storing it.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_PHILOX_CUH
#define FLASHGEN_ATTENTION_PHILOX_CUH

#include "flashgen/Platform.cuh"

namespace flashgen {

struct Uint4 {
  uint32_t x, y, z, w;
};

FG_HOST_DEVICE uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t &hi) {
  uint64_t p = uint64_t(a) * uint64_t(b);
  hi = uint32_t(p >> 32);
  return uint32_t(p);
}

FG_HOST_DEVICE Uint4 philox(uint64_t seed, uint64_t counterHi, uint64_t counterLo) {
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  Uint4 c{uint32_t(counterLo), uint32_t(counterLo >> 32), uint32_t(counterHi),
          uint32_t(counterHi >> 32)};
#pragma unroll
  for (int i = 0; i < 10; ++i) {
    uint32_t hi0, hi1;
    uint32_t lo0 = mulhilo(0xD2511F53u, c.x, hi0);
    uint32_t lo1 = mulhilo(0xCD9E8D57u, c.z, hi1);
    c = Uint4{hi1 ^ c.y ^ k0, lo1, hi0 ^ c.w ^ k1, lo0};
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return c;
}

/// Keep decision for element (bh, q, k): one Philox call per element keeps
/// the mapping simple to replay (backward, CPU reference).
FG_HOST_DEVICE bool dropoutKeep(uint64_t seed, uint64_t offset, uint64_t bh, int q,
                           int k, float p) {
  Uint4 r = philox(seed, offset + bh, (uint64_t(uint32_t(q)) << 32) | uint32_t(k));
  // Top 24 bits as a uniform in [0, 1).
  float u = float(r.x >> 8) * (1.0f / 16777216.0f);
  return u >= p;
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_PHILOX_CUH
