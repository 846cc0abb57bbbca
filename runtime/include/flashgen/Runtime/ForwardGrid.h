//===- ForwardGrid.h - the forward's split of the kv tiles -------*- C++ -*-===//
//
// FwdParams::kvSplits: where a forward's row blocks x heads x batch CTAs
// leave SMs idle (decoding and other short-query shapes), each row block's
// kv tiles are divided among several CTAs, whose partial results the
// combine entry merges (Merge.cuh). The launch and `explain` size it here.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_FORWARDGRID_H
#define FLASHGEN_RUNTIME_FORWARDGRID_H

#include <cstdint>

namespace flashgen::runtime {

/// Fewest kv tiles a split walks: below it the partial results' writes and
/// the combine cost more than the parallelism gains. Measured on the H200
/// (bench/results/2026-11-30-h200-s17.md, call 6): 8 tiles per split won
/// at 4096 keys (32 CTAs: 0.058 -> 0.029 ms), 4 lost at 1000 keys
/// (64 CTAs, 2 splits: 0.0247 -> 0.0262 ms).
constexpr int64_t kMinTilesPerKvSplit = 8;

/// The forward's CTAs for `heads` x `batch` x seqQ rows on row blocks of
/// blockM, each row block's kv tiles split `kvSplits` ways: the launch, the
/// split rule, GQA packing's comparison and `explain` count them here.
int64_t forwardGridCtas(int64_t blockM, int64_t heads, int64_t batch, int64_t seqQ,
                        int64_t kvSplits);

/// FwdParams::kvSplits for `ctas` CTAs (row blocks x heads x batch) whose
/// row blocks walk up to `tiles` kv tiles, on `slots` (SMs x CTAs per SM):
/// 1 when the CTAs fill half the slots or more; else the largest split
/// that keeps ctas x split within one wave, each split at least
/// kMinTilesPerKvSplit tiles, at most kMaxKvSplits (Params.cuh) and `cap`.
int forwardKvSplits(int64_t ctas, int64_t tiles, int64_t slots, int cap);

/// forwardKvSplits of a launch of `heads` x `batch` x seqQ x seqK on tiles
/// of blockM rows and blockN keys at `ctasPerSM` (0: one) on `numSMs`: the
/// launch and `explain` count its CTAs, tiles and slots here.
int forwardKvSplitsOf(int64_t blockM, int64_t blockN, int64_t ctasPerSM, int heads, int batch,
                      int seqQ, int seqK, int numSMs, int cap);

/// Whether a GQA-packed forward (PackedLaunch.h) of `packedCtas` CTAs
/// (splits included) keeps the GPU as busy as the unpacked one of
/// `unpackedCtas` on `slots`: packing divides the CTAs by the group, and
/// split-KV makes up for it only where the keys are long enough. A packed
/// grid below half the slots where the unpacked one has more CTAs measured
/// slower (H200, batch 1, GQA 32/8, 4096 keys: 32 CTAs 0.0352 ms vs 128
/// CTAs 0.0294 ms; bench/results/2026-11-30-h200-s17.md, call 8).
bool packedGridKeepsSMsBusy(int64_t packedCtas, int64_t unpackedCtas, int64_t slots);

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_FORWARDGRID_H
