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
/// The same where a CTA has few rows (at most half its row block: decoding,
/// GQA-packed decoding), whose partial results are a few rows each: one
/// tile per split is enough once the combine reads its partials in
/// parallel (GPU time, packed GQA 32/8, batch 1, bench/results/
/// 2026-11-30-h200-s19.md, call 5: 1024 keys, 8 splits of one tile 11.3 us,
/// 2 splits 14.9; 4096 keys, 8 splits 16.9, 16 splits 17.6).
constexpr int64_t kMinTilesPerKvSplitFewRows = 1;
/// At most kMaxKvSplitsShortWalk splits where a CTA has few rows and walks
/// at most kShortWalkTiles kv tiles: at 4096 keys (32 tiles) 8 splits beat
/// 16, at 32768 keys 16 beat 8 (GQA 32/8 d128, batch 1, Nq = 1, cold L2:
/// 18.5 vs 19.8 us, 52.7 vs 65.8 us; bench/results/2026-12-01-h200-s21.md,
/// call 4; GPU time alone agreed in session 19: 16.9 vs 17.6 us at 4096).
constexpr int64_t kShortWalkTiles = 32;
constexpr int kMaxKvSplitsShortWalk = 8;

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
int forwardKvSplits(int64_t ctas, int64_t tiles, int64_t slots, int cap,
                    int64_t minTilesPerSplit = kMinTilesPerKvSplit);

/// forwardKvSplits of a launch of `heads` x `batch` x seqQ x seqK on tiles
/// of blockM rows and blockN keys at `ctasPerSM` (0: one) on `numSMs`: the
/// launch and `explain` count its CTAs, tiles and slots here (few rows:
/// kMinTilesPerKvSplitFewRows).
int forwardKvSplitsOf(int64_t blockM, int64_t blockN, int64_t ctasPerSM, int heads, int batch,
                      int seqQ, int seqK, int numSMs, int cap);

/// Whether a GQA-packed forward (PackedLaunch.h) of `packedCtas` CTAs
/// (splits included) is expected faster than the unpacked one of
/// `unpackedCtas` on `slots`, for query heads grouped `group` per kv head.
/// Decoding reads K and V: unpacked, once per query head of a group (the
/// repeats partly from L2: each costs kUnpackedRepeatCost of a read from
/// HBM), packed once; each at the share of the slots its grid keeps busy.
/// Packing must win by kPackingMargin. Fitted to GPU times of GQA 32/8
/// decoding, batch 1 and 8, 1k-128k keys (bench/results/
/// 2026-11-30-h200-s19.md, call 5), e.g. batch 1, 4096 keys: 8 x 8 packed
/// CTAs 16.9 us vs 32 x 4 unpacked 23.7 us (session 18's fit, 0.5, was
/// made while the combine kernel cost packing 10-34 us).
bool packingIsFaster(int64_t packedCtas, int64_t unpackedCtas, int group, int64_t slots);
constexpr double kPackingMargin = 1.1;
constexpr double kUnpackedRepeatCost = 0.6;

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_FORWARDGRID_H
