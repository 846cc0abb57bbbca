//===- Fp8.cpp - fp8 e4m3 conversions on the host -------------------------===//
//
// The checks' fp8 inputs (Check.cpp) and the GPU tests'. e4m3: 1 sign, 4
// exponent (bias 7), 3 mantissa bits; no infinities, 0x7f / 0xff NaN, the
// largest finite value 448; subnormals below 2^-6 in steps of 2^-9.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Runtime/Check.h"

#include <cmath>

float flashgen::runtime::fromE4M3(uint8_t b) {
  const int exp = (b >> 3) & 15, man = b & 7;
  if (exp == 15 && man == 7)
    return std::nanf("");
  const float mag = exp == 0 ? std::ldexp(float(man), -9)
                             : std::ldexp(1.f + float(man) / 8.f, exp - 7);
  return (b & 0x80) ? -mag : mag;
}

uint8_t flashgen::runtime::toE4M3(float f) {
  if (std::isnan(f))
    return 0x7f;
  const uint8_t sign = std::signbit(f) ? 0x80 : 0;
  const float a = std::fabs(f);
  // The positive codes 0 .. 0x7e increase with their value: the nearest
  // (ties to the even code) by bisection; beyond 448 saturate.
  if (a >= 448.f)
    return sign | 0x7e;
  int lo = 0, hi = 0x7e; // value(lo) <= a < value(hi)
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    (fromE4M3(uint8_t(mid)) <= a ? lo : hi) = mid;
  }
  const float dl = a - fromE4M3(uint8_t(lo)), dh = fromE4M3(uint8_t(hi)) - a;
  const int code = dl < dh ? lo : dh < dl ? hi : (lo % 2 == 0 ? lo : hi);
  return uint8_t(sign | code);
}
