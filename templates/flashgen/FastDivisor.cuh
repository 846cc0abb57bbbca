//===- FastDivisor.cuh - division by a run-time invariant divisor -*- CUDA -*-===//
//
// A kernel's walk over its work items divides an item index by a count
// that is fixed per CTA (the backward's query tiles per head) once or
// twice per item. The GPU has no integer divider: `/` by a run-time value
// is ~20 dependent instructions (a float reciprocal and corrections), on
// the path between one item and the next. With a multiplier and shift
// computed once (Granlund and Montgomery, "Division by Invariant Integers
// using Multiplication", PLDI 1994, the round-up method), a quotient is a
// multiply-high, an add and a shift. Host and device share it (the CPU
// unit test checks it against `/`).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_FASTDIVISOR_CUH
#define FLASHGEN_FASTDIVISOR_CUH

#include "flashgen/Platform.cuh"

namespace flashgen {

/// Quotients and remainders of 0 <= n < 2^31 by a divisor 1 <= d < 2^31.
struct FastDivisor {
  uint32_t divisor = 1, multiplier = 0, shift = 0;

  FastDivisor() = default;
  /// With l = ceil(log2 d): m = floor(2^32 (2^l - d) / d) + 1, so that
  /// floor(n / d) = (n + mulhi(m, n)) >> l for every n < 2^31 (and the sum
  /// stays below 2^32: mulhi(m, n) <= n).
  FG_HOST_DEVICE explicit FastDivisor(int d) : divisor(uint32_t(d)) {
    uint32_t l = 0;
    while (l < 31 && (1u << l) < divisor)
      ++l;
    shift = l;
    multiplier = uint32_t(((uint64_t(1) << 32) * ((uint64_t(1) << l) - divisor)) / divisor + 1);
  }
  FG_HOST_DEVICE int quotient(int n) const {
    return int((uint32_t(n) + mulHigh(multiplier, uint32_t(n))) >> shift);
  }
  FG_HOST_DEVICE int remainder(int n, int quotient) const {
    return n - quotient * int(divisor);
  }

private:
  static FG_HOST_DEVICE uint32_t mulHigh(uint32_t a, uint32_t b) {
#if defined(__CUDA_ARCH__)
    uint32_t r;
    asm("mul.hi.u32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(b));
    return r;
#else
    return uint32_t((uint64_t(a) * b) >> 32);
#endif
  }
};

} // namespace flashgen

#endif // FLASHGEN_FASTDIVISOR_CUH
