//===- CalibrateShape.cuh - the calibration kernels' launch shape -*- CUDA -*-===//
//
// What the calibration kernels (Calibrate.cuh) do per CTA and iteration and
// how the host launches them (runtime/lib/Calibration.cpp turns launches
// into FLOP/s with these): one source for both sides.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_CALIBRATE_CALIBRATESHAPE_CUH
#define FLASHGEN_CALIBRATE_CALIBRATESHAPE_CUH

namespace flashgen {
/// The wgmma kernel: two warpgroups per CTA, m64n128k16 steps, a 64-column
/// k extent (four steps) per iteration; two CTAs per SM.
constexpr int kCalibrateWgmmaThreads = 256;
constexpr double kCalibrateWgmmaFlopsPerIter = 2.0 * (2 * 64 * 128 * 64); // per CTA
constexpr int kCalibrateWgmmaCtasPerSM = 2;
constexpr int kCalibrateWgmmaIters = 8192;
/// The mma.sync kernel: 8 warps, four independent m16n8k16 per iteration;
/// four CTAs per SM.
constexpr int kCalibrateMmaThreads = 256;
constexpr double kCalibrateMmaFlopsPerIter = 8.0 * 4 * (2 * 16 * 8 * 16); // per CTA
constexpr int kCalibrateMmaCtasPerSM = 4;
constexpr int kCalibrateMmaIters = 16384;
} // namespace flashgen

#endif // FLASHGEN_CALIBRATE_CALIBRATESHAPE_CUH
