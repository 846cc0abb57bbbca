//===- Platform.cuh - types and PTX wrappers for flashgen kernels -*- CUDA -*-===//
//
// Everything the kernel templates need from the machine, with no CUDA
// headers: NVRTC compiles these without --include-path (faster cold JIT,
// and the GPU machine needs no toolkit headers). 16-bit values are raw
// uint16_t bit patterns; conversions and tensor-core ops are inline PTX.
//
// PTX used: cp.async.cg (sm_80), ldmatrix (sm_75), mma.sync m16n8k16 with
// f16/bf16 inputs and f32 accumulators (sm_80), ex2.approx (all).
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_PLATFORM_CUH
#define FLASHGEN_PLATFORM_CUH

#ifdef __CUDACC_RTC__
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef int int32_t;
typedef long long int64_t;
typedef unsigned long long uint64_t;
#else
#include <cstdint>
#endif

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define FG_DEVICE __device__ __forceinline__
#define FG_NOINLINE_DEVICE __device__ __noinline__
#define FG_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define FG_DEVICE inline
#define FG_NOINLINE_DEVICE inline
#define FG_HOST_DEVICE inline
#endif

namespace flashgen {

/// Element type tags: the kernel is templated on these. Output: O's type
/// for inputs of the tag's type.
struct BF16 {
  static constexpr bool kIsBF16 = true, kIsFp8 = false;
  using Output = BF16;
};
struct F16 {
  static constexpr bool kIsBF16 = false, kIsFp8 = false;
  using Output = F16;
};
/// fp8 e4m3 inputs (Q, K, V; one byte each): the sm_90a warp-specialized
/// forward only, with bf16 output (FwdFp8.cuh).
struct E4M3 {
  static constexpr bool kIsBF16 = false, kIsFp8 = true;
  using Output = BF16;
};

/// A if B else C (<type_traits> without the header NVRTC lacks).
template <bool B, class A, class C> struct SelectType {
  using type = A;
};
template <class A, class C> struct SelectType<false, A, C> {
  using type = C;
};

/// A bool known at compile time (std::bool_constant without <type_traits>,
/// which NVRTC lacks): code that also takes a run-time bool folds the
/// branches on it away, and a generic lambda given one is instantiated
/// once per value (decltype(arg)::value).
template <bool B> struct StaticBool {
  static constexpr bool value = B;
  FG_HOST_DEVICE constexpr operator bool() const { return B; }
};

#if defined(__CUDA_ARCH__) || defined(__CUDACC_RTC__)


FG_DEVICE float negInf() { return __int_as_float(0xff800000); }
FG_DEVICE float posInf() { return __int_as_float(0x7f800000); }

/// 2^x on the SFU (the softmax runs in the log2 domain with the scale folded
/// in, as FlashAttention-2 does).
FG_DEVICE float exp2f_approx(float x) {
  // Not volatile: a pure register operation the compiler may schedule
  // around the MMAs (volatile would pin it in program order).
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

/// tanh on the SFU (sm_75+; max relative error 2^-10.99): what a spec's
/// score modifier calls (codegen's EmitExpr.cpp), as FlashAttention's
/// soft cap does. The precise tanhf is ~20 instructions per score element,
/// a third of a soft-capped kernel's code and of its JIT time (issue 14).
FG_DEVICE float tanhf_approx(float x) {
  float y;
  asm("tanh.approx.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

/// Packs two floats into a 16-bit pair (lo in the low half), round to
/// nearest even.
template <class T> FG_DEVICE uint32_t packPair(float lo, float hi);
template <> FG_DEVICE uint32_t packPair<BF16>(float lo, float hi) {
  uint32_t r;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}
template <> FG_DEVICE uint32_t packPair<F16>(float lo, float hi) {
  uint32_t r;
  asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}

/// The two floats of a packed 16-bit pair (packPair's inverse, exact).
template <class T> FG_DEVICE void unpackPair(uint32_t v, float &lo, float &hi);
template <> FG_DEVICE void unpackPair<BF16>(uint32_t v, float &lo, float &hi) {
  lo = __uint_as_float(v << 16);
  hi = __uint_as_float(v & 0xffff0000u);
}
template <> FG_DEVICE void unpackPair<F16>(uint32_t v, float &lo, float &hi) {
  asm("{\n.reg .f16 l, h;\nmov.b32 {l, h}, %2;\ncvt.f32.f16 %0, l;\ncvt.f32.f16 %1, h;\n}"
      : "=f"(lo), "=f"(hi)
      : "r"(v));
}

/// Four floats as fp8 e4m3 bytes, `a` in the lowest (round to nearest
/// even, saturating at +-448 as FlashAttention-3's P does).
FG_DEVICE uint32_t packFp8x4(float a, float b, float c, float d) {
  uint16_t lo, hi;
  asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(lo) : "f"(b), "f"(a));
  asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(hi) : "f"(d), "f"(c));
  return uint32_t(lo) | (uint32_t(hi) << 16);
}

/// One 16-bit element to float.
template <class T> FG_DEVICE float toFloat(uint16_t v);
template <> FG_DEVICE float toFloat<BF16>(uint16_t v) {
  return __uint_as_float(uint32_t(v) << 16);
}
template <> FG_DEVICE float toFloat<F16>(uint16_t v) {
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(v));
  return f;
}

FG_DEVICE uint32_t smemAddress(const void *p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

/// 16-byte global->shared copy; copies `srcBytes` (0 or 16) and zero-fills
/// the rest, so out-of-range rows and head-dim padding read as zeros.
FG_DEVICE void cpAsync16(uint32_t dst, const void *src, int srcBytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst),
               "l"(src), "r"(srcBytes));
}
FG_DEVICE void cpAsyncCommit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N> FG_DEVICE void cpAsyncWait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

/// Four 8x8 16-bit matrices from shared memory; lane i gives the address of
/// row (i % 8) of matrix (i / 8).
FG_DEVICE void ldmatrixX4(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}
FG_DEVICE void ldmatrixX4Trans(uint32_t (&r)[4], uint32_t addr) {
  asm volatile(
      "ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
      : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
      : "r"(addr));
}

/// D = A B + D for one m16n8k16 tile: A row-major 16x16, B column-major
/// 16x8, D 16x8 fp32.
///
///   lane l: g = l / 4, t = l % 4
///   A regs: a0 (g, 2t..2t+1)  a1 (g+8, 2t..)  a2 (g, 2t+8..)  a3 (g+8, 2t+8..)
///   B regs: b0 (2t..2t+1, g)  b1 (2t+8.., g)
///   D regs: d0,d1 (g, 2t..2t+1)  d2,d3 (g+8, 2t..2t+1)
///
/// Not volatile: registers in, registers out, so the compiler may interleave
/// independent MMAs with softmax math. (ldmatrix and cp.async stay volatile:
/// they touch shared memory and must not move across barriers.)
template <class T>
FG_DEVICE void mma16816(float (&d)[4], const uint32_t (&a)[4], uint32_t b0,
                        uint32_t b1) {
  if constexpr (T::kIsBF16)
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  else
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

#endif // device code

} // namespace flashgen

#endif // FLASHGEN_PLATFORM_CUH
