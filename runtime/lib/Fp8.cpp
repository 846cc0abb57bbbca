//===- Fp8.cpp - fp8 e4m3 conversions on the host -------------------------===//
//
// The checks' fp8 inputs (Check.cpp) and the GPU tests'. e4m3: 1 sign, 4
// exponent (bias 7), 3 mantissa bits; no infinities, 0x7f / 0xff NaN, the
// largest finite value 448; subnormals below 2^-6 in steps of 2^-9.
//
//===----------------------------------------------------------------------===//
#include "flashgen/Runtime/Check.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace {
/// The value of every positive code 0 .. 0x7e, increasing with the code.
const std::array<float, 0x7f> &positiveValues() {
  static const std::array<float, 0x7f> values = [] {
    std::array<float, 0x7f> v{};
    for (int b = 0; b < 0x7f; ++b) {
      const int exp = b >> 3, man = b & 7;
      v[size_t(b)] = exp == 0 ? std::ldexp(float(man), -9)
                              : std::ldexp(1.f + float(man) / 8.f, exp - 7);
    }
    return v;
  }();
  return values;
}
} // namespace

float flashgen::runtime::fromE4M3(uint8_t b) {
  if ((b & 0x7f) == 0x7f)
    return std::nanf("");
  const float mag = positiveValues()[b & 0x7f];
  return (b & 0x80) ? -mag : mag;
}

uint8_t flashgen::runtime::toE4M3(float f) {
  if (std::isnan(f))
    return 0x7f;
  const uint8_t sign = std::signbit(f) ? 0x80 : 0;
  const float a = std::fabs(f);
  if (a >= 448.f) // satfinite, as the kernels' cvt.rn.satfinite
    return sign | 0x7e;
  // The neighbours value(lo) <= a < value(hi); the nearest, ties to the
  // even code (round to nearest even).
  const std::array<float, 0x7f> &v = positiveValues();
  const int hi = int(std::upper_bound(v.begin(), v.end(), a) - v.begin()), lo = hi - 1;
  const float dl = a - v[size_t(lo)], dh = v[size_t(hi)] - a;
  const int code = dl < dh ? lo : dh < dl ? hi : (lo % 2 == 0 ? lo : hi);
  return uint8_t(sign | code);
}
