//===- Calibration.h - the GPU description from the device itself -*- C++ -*-===//
//
// The planner and the IO cost model describe a GPU by its resources (SMs,
// shared memory, registers: device attributes) and two rates no attribute
// states: achievable HBM bandwidth and 16-bit tensor-core throughput.
// `flashgen tune --calibrate` measures both once per GPU (Calibrate.cuh's
// kernels) and stores them in the tuning database; until then they are
// estimated from the attributes (memory clock x bus width; SMs x clock x the
// architecture's tensor rate), which are peaks, not what kernels reach.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_CALIBRATION_H
#define FLASHGEN_RUNTIME_CALIBRATION_H

#include "flashgen/Dialect/Attn/Analysis/TargetInfo.h"
#include "flashgen/Runtime/CudaDriver.h"
#include "flashgen/Runtime/TuningDb.h"

#include "llvm/Support/raw_ostream.h"

namespace flashgen::tuning {

/// The calibration's key: what identifies the hardware (driver and
/// flashgen versions do not change what it delivers).
DeviceKey calibrationKey(const runtime::DeviceInfo &d);

/// Measures device `ordinal`'s copy bandwidth and tensor-core rate (about a
/// second of GPU time); `log` gets what was run.
llvm::Expected<Calibration> calibrateDevice(int ordinal, llvm::raw_ostream &log);

/// The GPU description of device `d`: its attributes, and the stored
/// calibration if the default tuning database has one for it (read once per
/// device and process), else estimates; `source` says which.
attn::GpuTarget targetFor(const runtime::DeviceInfo &d);

/// Forgets what targetFor read, so that a calibration stored since applies.
void forgetCalibrations();

} // namespace flashgen::tuning

#endif // FLASHGEN_RUNTIME_CALIBRATION_H
