//===- PolyExp2.cuh - 2^x on the FMA pipe ----------------------*- CUDA -*-===//
//
// The forward's softmax takes 64 exponentials per thread and tile on the
// SFU (ex2.approx: 16 results per clock per SM), as many cycles per tile
// as the fp8 products on the tensor cores (bench/results/notes-
// inference.md). FlashAttention-4 computes part of them on the FMA pipe
// instead: x = j + f with j the nearest integer (a 1.5 * 2^23 add), 2^f a
// degree-3 polynomial on [-0.5, 0.5] (minimax for relative error: 7.5e-5,
// under bf16's 2^-9 rounding of P), 2^j added into the exponent bits.
// Like ex2.approx.ftz, 0 below the normals (here below 2^-125, where
// 2^j alone would leave them) and for -inf (masked scores); NaN
// stays NaN. Host and device share it (the CPU unit test checks it against
// exp2).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_POLYEXP2_CUH
#define FLASHGEN_POLYEXP2_CUH

#include "flashgen/Platform.cuh"

#if !defined(__CUDACC_RTC__)
#include <cmath>
#include <cstring>
#endif

namespace flashgen {

FG_HOST_DEVICE uint32_t polyExp2Bits(float x) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(x);
#else
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
#endif
}
FG_HOST_DEVICE float polyExp2Float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float x;
  std::memcpy(&x, &u, 4);
  return x;
#endif
}

/// 2^x for x <= 127 (the softmax's arguments are <= its rescale slack).
FG_HOST_DEVICE float exp2Poly(float x) {
  constexpr float kRound = 12582912.f; // 1.5 * 2^23: x + kRound holds round(x) in its low bits
  const float t = x + kRound;
  const float f = x - (t - kRound); // in [-0.5, 0.5]
  const float p = fmaf(fmaf(fmaf(0.0551696829f, f, 0.242607623f), f, 0.693260968f), f,
                       0.999928296f);
  // round(x) << 23 from t's low bits (kRound's own bits shift out).
  const float r = polyExp2Float(polyExp2Bits(p) + (polyExp2Bits(t) << 23));
  return x >= -125.f ? r : (x < -125.f ? 0.f : x); // NaN: neither comparison holds
}

} // namespace flashgen

#endif // FLASHGEN_POLYEXP2_CUH
