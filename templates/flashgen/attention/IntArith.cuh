//===- IntArith.cuh - total integer division for spec expressions -*- CUDA -*-===//
//
// A spec's `/` and `%` on int values are defined for every operand, on the
// GPU and in the CPU reference alike (both call these): truncating, as in
// C, except that x / 0 = 0 and x % 0 = x, and INT_MIN / -1 wraps to
// INT_MIN (INT_MIN % -1 = 0). In C++ and PTX those cases are undefined or
// unspecified, which would make a divisor that is sometimes zero (q / (k -
// q)) a silently different answer. Codegen calls these only where the
// divisor is not a constant other than 0 and -1.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_INTARITH_CUH
#define FLASHGEN_ATTENTION_INTARITH_CUH

#include "flashgen/Platform.cuh"

namespace flashgen {

FG_HOST_DEVICE int32_t divTotal(int32_t a, int32_t b) {
  if (b == 0)
    return 0;
  if (b == -1)
    return int32_t(0u - uint32_t(a)); // wraps for INT_MIN
  return a / b;
}

FG_HOST_DEVICE int32_t remTotal(int32_t a, int32_t b) {
  if (b == 0)
    return a;
  if (b == -1)
    return 0;
  return a % b;
}

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_INTARITH_CUH
