//===- Interval.cuh - interval arithmetic for tile classification -*- CUDA -*-===//
//
// The device twin of dialect/lib/Analysis/MaskEval.cpp's interval evaluator:
// codegen turns the mask region into calls of these, evaluated once per
// (row block, kv tile) to decide Empty / Full / Partial. Same semantics,
// same soundness rule: anything that might wrap or divide by zero becomes
// the top interval / Unknown.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_INTERVAL_CUH
#define FLASHGEN_ATTENTION_INTERVAL_CUH

#include "flashgen/Platform.cuh"
#include "flashgen/attention/IntArith.cuh" // the concrete / and % the expressions use

namespace flashgen::iv {

struct Iv {
  int64_t lo, hi;
};
/// Three-valued truth: 0 false, 1 true, 2 unknown.
using Tri = int;
constexpr int64_t kMin = -2147483648ll, kMax = 2147483647ll;

FG_HOST_DEVICE Iv top() { return {kMin, kMax}; }
FG_HOST_DEVICE Iv point(int64_t v) { return {v, v}; }
FG_HOST_DEVICE Iv fit(int64_t lo, int64_t hi) {
  return (lo < kMin || hi > kMax) ? top() : Iv{lo, hi};
}
FG_HOST_DEVICE int64_t min2(int64_t a, int64_t b) { return a < b ? a : b; }
FG_HOST_DEVICE int64_t max2(int64_t a, int64_t b) { return a > b ? a : b; }
FG_HOST_DEVICE int64_t abs64(int64_t a) { return a < 0 ? -a : a; }

FG_HOST_DEVICE Iv add(Iv x, Iv y) { return fit(x.lo + y.lo, x.hi + y.hi); }
FG_HOST_DEVICE Iv sub(Iv x, Iv y) { return fit(x.lo - y.hi, x.hi - y.lo); }
FG_HOST_DEVICE Iv mul(Iv x, Iv y) {
  int64_t a = x.lo * y.lo, b = x.lo * y.hi, c = x.hi * y.lo, d = x.hi * y.hi;
  return fit(min2(min2(a, b), min2(c, d)), max2(max2(a, b), max2(c, d)));
}
FG_HOST_DEVICE Iv div(Iv x, Iv y) {
  if (y.lo <= 0 && y.hi >= 0)
    return top();
  int64_t a = x.lo / y.lo, b = x.lo / y.hi, c = x.hi / y.lo, d = x.hi / y.hi;
  return fit(min2(min2(a, b), min2(c, d)), max2(max2(a, b), max2(c, d)));
}
FG_HOST_DEVICE Iv rem(Iv x, Iv y) {
  if (y.lo <= 0 && y.hi >= 0)
    return top();
  int64_t maxAbs = max2(abs64(y.lo), abs64(y.hi));
  int64_t minAbs = min2(abs64(y.lo), abs64(y.hi));
  if (x.lo >= 0 && x.hi < minAbs)
    return x;
  if (x.hi <= 0 && -x.lo < minAbs)
    return x;
  if (y.lo == y.hi) {
    int64_t m = maxAbs;
    if ((x.lo >= 0 || x.hi <= 0) && x.lo / m == x.hi / m)
      return {x.lo % m, x.hi % m};
  }
  return {x.lo >= 0 ? 0 : max2(x.lo, -(maxAbs - 1)),
          x.hi <= 0 ? 0 : min2(x.hi, maxAbs - 1)};
}
FG_HOST_DEVICE Iv minI(Iv x, Iv y) { return {min2(x.lo, y.lo), min2(x.hi, y.hi)}; }
FG_HOST_DEVICE Iv maxI(Iv x, Iv y) { return {max2(x.lo, y.lo), max2(x.hi, y.hi)}; }
FG_HOST_DEVICE Iv absI(Iv x) {
  if (x.lo == kMin)
    return top();
  if (x.lo >= 0)
    return x;
  if (x.hi <= 0)
    return {-x.hi, -x.lo};
  return {0, max2(-x.lo, x.hi)};
}
FG_HOST_DEVICE Iv hull(Iv x, Iv y) { return {min2(x.lo, y.lo), max2(x.hi, y.hi)}; }

FG_HOST_DEVICE Tri notT(Tri a) { return a == 2 ? 2 : 1 - a; }
FG_HOST_DEVICE Tri andT(Tri a, Tri b) {
  return (a == 0 || b == 0) ? 0 : (a == 1 && b == 1) ? 1 : 2;
}
FG_HOST_DEVICE Tri orT(Tri a, Tri b) {
  return (a == 1 || b == 1) ? 1 : (a == 0 && b == 0) ? 0 : 2;
}
FG_HOST_DEVICE Tri xorT(Tri a, Tri b) { return (a == 2 || b == 2) ? 2 : (a != b); }
FG_HOST_DEVICE Tri lt(Iv x, Iv y) { return x.hi < y.lo ? 1 : x.lo >= y.hi ? 0 : 2; }
FG_HOST_DEVICE Tri le(Iv x, Iv y) { return notT(lt(y, x)); }
FG_HOST_DEVICE Tri gt(Iv x, Iv y) { return lt(y, x); }
FG_HOST_DEVICE Tri ge(Iv x, Iv y) { return notT(lt(x, y)); }
FG_HOST_DEVICE Tri eq(Iv x, Iv y) {
  if (x.lo == x.hi && y.lo == y.hi && x.lo == y.lo)
    return 1;
  return (x.hi < y.lo || y.hi < x.lo) ? 0 : 2;
}
FG_HOST_DEVICE Tri ne(Iv x, Iv y) { return notT(eq(x, y)); }
/// Unsigned compares agree with signed ones when both sides are >= 0.
FG_HOST_DEVICE Tri unsignedCmp(Tri signedResult, Iv x, Iv y) {
  return (x.lo >= 0 && y.lo >= 0) ? signedResult : 2;
}
FG_HOST_DEVICE Iv selectI(Tri c, Iv a, Iv b) { return c == 1 ? a : c == 0 ? b : hull(a, b); }
FG_HOST_DEVICE Tri selectT(Tri c, Tri a, Tri b) {
  return c == 1 ? a : c == 0 ? b : (a == b ? a : 2);
}

} // namespace flashgen::iv

#endif // FLASHGEN_ATTENTION_INTERVAL_CUH
