//===- Params.cuh - kernel parameters shared by host and device -*- C++ -*-===//
//
// Plain data, identical layout on the host (runtime/) and in NVRTC-compiled
// kernels: the runtime fills it and passes it by value. Strides are in
// elements. Layout: Q[b][q][h][d] or Q[b][h][q][d] are both expressible
// (BSHD and BHSD); with varlen, rows of all sequences are packed and
// batch strides are unused.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_ATTENTION_PARAMS_CUH
#define FLASHGEN_ATTENTION_PARAMS_CUH

#include "flashgen/Platform.cuh"

namespace flashgen {

/// Most named tensors one variant may read.
constexpr int kMaxTensors = 8;
constexpr int kMaxTensorRank = 4;

struct TensorRef {
  const void *data;
  int32_t dims[kMaxTensorRank];    // extents, for clamping indices
  int64_t strides[kMaxTensorRank]; // elements
};

/// A tensor map for the copy engine (TMA): the driver's opaque 128-byte
/// CUtensorMap, 64-byte aligned. It must be read from the kernel's own
/// parameter space (__grid_constant__), so it lives in FwdParams.
struct alignas(64) TmaDescriptor {
  uint64_t opaque[16];
};

/// FwdParams::lookupReport's ints: flag (0: nothing clamped), the site
/// (KernelSpec::lookupSites), the dimension, the index, then b, h, q, k.
constexpr int kLookupReportInts = 8;

/// fp8 descale factors per (batch entry, kv head) (FlashAttention-3's
/// q/k/v_descale of shape [batch, kv_heads]: one per kv head, so that a
/// GQA-packed tile, whose rows are one kv head's query heads, has one score
/// scale): element (b, hk) at data[b * batchStride + hk * headStride]
/// (stride 0 broadcasts); null: 1. They multiply the per-tensor factors
/// folded into FwdParams::scale and oScale.
struct HeadFactors {
  const float *data;
  int64_t batchStride, headStride;
  FG_HOST_DEVICE float at(int b, int hk) const {
    return data ? data[b * batchStride + hk * headStride] : 1.f;
  }
};

struct FwdParams {
  const void *q, *k, *v;
  void *o;
  float *lse; // [b][h][q] (varlen: [h][total_q]); may be null
  int64_t qBatchStride, qRowStride, qHeadStride;
  int64_t kBatchStride, kRowStride, kHeadStride;
  int64_t vBatchStride, vRowStride, vHeadStride;
  int64_t oBatchStride, oRowStride, oHeadStride;
  int64_t lseBatchStride, lseHeadStride;
  int32_t batch, heads, kvHeads, seqQ, seqK; // seqQ/seqK: max over batch
  int32_t headDimQK, headDimV;                // actual (unpadded)
  const int32_t *cuSeqlensQ, *cuSeqlensK;     // varlen: batch + 1 offsets
  /// Per batch entry, how many of its keys exist (flash-attn's seqused_k,
  /// a KV cache's filled length); null: all seqK (varlen: its own length).
  /// Entry b's key length is then min(seqK, seqUsedK[b]) everywhere: the
  /// walk ends there, keys past it are masked and their rows, which may
  /// hold anything (NaN in a cache from torch.empty), are never multiplied.
  /// Forward only.
  const int32_t *seqUsedK;
  /// A paged KV cache (null: K and V are [batch][seqK] rows): K and V are a
  /// pool of pages of pageSize rows ([pages][pageSize][kvHeads][d]), and key
  /// k of entry b is pool row pageTable[b * pageTableStride + k / pageSize]
  /// * pageSize + k % pageSize. The warp-specialized kernel loads boxes of
  /// pagedBoxRows(blockN, pageSize) rows, each inside one page.
  const int32_t *pageTable;
  int32_t pageSize, pageTableStride, poolRows;
  /// Which of K/V's entries batch entry b reads (flash-attn's
  /// cache_batch_idx: a cache of more entries than the batch, read in
  /// place; ForwardArgs::kvBatch counts them); null: entry b.
  const int32_t *kvBatchIndex;
  float scale;      // softmax scale (natural domain)
  float scaleLog2;  // scale * log2(e)
  float dropoutP;   // probability of dropping
  float dropoutScale; // 1 / (1 - p)
  uint64_t seed, offset; // Philox key and counter offset
  TensorRef tensors[kMaxTensors];
  /// Where this launch sits in a larger problem (context parallelism): the
  /// mask, score modifier, lookups and tile classes see query row q as
  /// q + frameQOffset, key k as k + frameKOffset, head h as h +
  /// frameHeadOffset, and seq_q / seq_k as frameSeqQ / frameSeqK (0: the
  /// sequence's own). All zero for a whole problem. The runtime checks
  /// offset + length <= frame, so every fact the compiler proved for
  /// positions in [0, seq) still holds.
  int32_t frameQOffset, frameKOffset, frameHeadOffset, frameSeqQ, frameSeqK;
  /// Run-time tile classes (TileClasses.cuh): one byte per (row block, kv
  /// tile) of the forward's tiles, written by the variant's builder before
  /// the forward reads them; null: the kernel classifies tiles itself.
  uint8_t *tileClasses;
  int32_t tileClassRowBlocks, tileClassTiles, tileClassHeads;
  /// Where each row block's non-empty tiles lie, as the builder found them:
  /// per (slot, row block), tileClassBoundParts pairs {first non-empty
  /// tile, last + 1} of consecutive kTileClassThreads-tile parts ({INT_MAX,
  /// 0} for a part with none). The forward walks only [min first, max
  /// end): a row of documents from a tensor keeps a few tiles near its
  /// diagonal, and scanning the band's empty classes before them put a
  /// load's latency per kTileWalkBatch tiles on every CTA's start. Null:
  /// the walk scans its whole band.
  int32_t *tileClassBounds;
  int32_t tileClassBoundParts;
  /// With the bounds: per tile, the next non-empty tile of its part
  /// (0xffff: none; later parts' firsts are in tileClassBounds), so a walk
  /// steps over a run of empty tiles with one load (a sparse block map's
  /// kept tiles lie spread along the row, which bounds do not narrow).
  /// Null: the walk scans the classes.
  uint16_t *tileClassNext;
  /// The backward's cells: per (slot, key cell) {rows - first non-empty
  /// row cell, last + 1} (0, 0: none; both by atomicMax over zeroed
  /// memory), so a key block's walk covers only the query tiles that keep
  /// some of its keys (a document's keys are kept by the rows of their
  /// document; the walk scanned the rest of the band's empty cells, 32 per
  /// warp load, before its CTA could finish). Null: the whole band.
  int32_t *tileClassColBounds;
  /// A checked build's report of a clamped lookup index (Lookup.cuh;
  /// kLookupReportInts), zeroed before the launch and read after it; null:
  /// indices are clamped silently.
  int32_t *lookupReport;
  /// Split-KV (decoding shapes, where batch x heads x row blocks leave SMs
  /// idle): a row block's kv tiles are divided among kvSplits CTAs (grid z
  /// = batch x kvSplits). Each writes its rows' O, normalized over its own
  /// keys, in fp32 to oPartial [split][head][partialRows][headDimV] and
  /// their logsumexp (natural log; -inf: no key) to lsePartial
  /// [split][head][partialRows] (rows: fwdPartialRow); the combine entry
  /// merges the splits by their logsumexps into o and lse (Merge.cuh).
  /// 1: the forward writes o and lse itself.
  int32_t kvSplits, partialRows;
  float *oPartial, *lsePartial;
  /// Q, K, V as tensor maps (dims: head dim, row, head, batch entry; boxes
  /// of one 128-byte atom of columns), for the kernels that load with TMA;
  /// else unset.
  TmaDescriptor tmaQ, tmaK, tmaV;
  /// fp8 inputs (FwdFp8.cuh), a prefill launch: V transposed by the
  /// runtime's pre-pass into vTransposed [batch][kvHeads][headDimV][vtKeys]
  /// (keys permuted within each 16 to P's register order; tmaV maps it;
  /// null where the kernel transposes V itself). And O's factor: V's
  /// descale (Q's and K's are in scale). Unused otherwise.
  uint8_t *vTransposed;
  int32_t vtKeys; // seqK rounded up to 16
  float oScale;
  /// fp8 per-head descale factors (b: the query's batch entry, varlen its
  /// sequence): Q's and K's scale the scores, V's the output.
  HeadFactors qHeadDescale, kHeadDescale, vHeadDescale;
};

/// mergePair's parameters (Merge.cuh): two attention results over disjoint
/// key sets, each O [batch][seq][heads][headDim] at its own element strides
/// (batch, row, head; the head dim contiguous) and its logsumexp [batch]
/// [heads][seq] in the kernels' convention (+inf: a row with no key),
/// merged into O and lse (which may be one of the inputs: each element is
/// read before it is written, by the same thread).
struct MergeParams {
  const void *oA, *oB;
  void *o;
  const float *lseA, *lseB;
  float *lse; // may be null
  int64_t aStrides[3], bStrides[3], oStrides[3];
  int32_t batch, heads, seq, headDim;
};

/// Most CTAs one row block's kv tiles are split over (FwdParams::kvSplits).
constexpr int kMaxKvSplits = 32;
/// Threads per CTA of the split-KV combine entry (one warp per row).
constexpr int kCombineThreads = 128;

/// Row `q` of batch entry `b` in the split-KV partial buffers: entries one
/// after another (varlen: the packed row, qRow0 + q).
FG_HOST_DEVICE int64_t fwdPartialRow(const FwdParams &p, bool varlen, int b, int64_t qRow0, int q) {
  return varlen ? qRow0 + q : int64_t(b) * p.seqQ + q;
}

/// Rows of the copy engine's K/V boxes for a paged cache: the largest
/// count that divides both the tile's keys and the page, so a box that
/// starts at a multiple of it never crosses a page (pages are multiples of
/// 16 rows, tiles of 64 or 128).
FG_HOST_DEVICE int pagedBoxRows(int blockN, int pageSize) {
  int a = blockN, b = pageSize;
  while (b) {
    const int r = a % b;
    a = b;
    b = r;
  }
  return a;
}

/// seq_q or seq_k as the spec's expressions see them: the frame's when set.
FG_HOST_DEVICE int framedLength(int own, int frame) { return frame ? frame : own; }

/// Threads per CTA of the run-time tile-class builder (TileClasses.cuh),
/// one per kv tile.
constexpr int kTileClassThreads = 128;
/// Tile classes a forward walk reads at once (TileWalk.cuh nextNonEmpty).
constexpr int kTileWalkBatch = 8;

/// Launch facts of the backward that the runtime and the kernels share.
/// The workspace rows are padded to kBwdSeqPadding, a multiple of every
/// backward tile (streamed tiles <= 128 rows, resident blocks 16 * warps),
/// so the kernels read whole tiles of it without bounds checks.
constexpr int kBwdSeqPadding = 128;
constexpr int kBwdPreprocessThreads = 256; // 8 warps
constexpr int kBwdPreprocessRows = 64;     // rows per preprocessing CTA
/// Query rows per dQ order counter (BwdParams::dqOrder): divides every
/// streamed tile of the warp-specialized backward and kBwdSeqPadding.
constexpr int kBwdOrderRows = 64;

/// Floats of the backward's split dK/dV planes (BwdParams::dkvPartial).
FG_HOST_DEVICE int64_t bwdDkvPartialFloats(int split, int batch, int kvHeads, int seqPadK,
                                           int headDimQK, int headDimV) {
  return int64_t(split) * batch * kvHeads * seqPadK * (headDimQK + headDimV);
}

/// The backward pass: the forward's parameters (same inputs, same variant
/// functions read them) plus the gradients. dO is laid out like O, dQ like
/// Q, dK/dV like K/V unless strides say otherwise.
struct BwdParams {
  FwdParams f; // q, k, v, o, lse (required here), shapes, dropout, tensors
  const void *dO;
  void *dQ, *dK, *dV;
  int64_t dOBatchStride, dORowStride, dOHeadStride;
  int64_t dQBatchStride, dQRowStride, dQHeadStride;
  int64_t dKBatchStride, dKRowStride, dKHeadStride;
  int64_t dVBatchStride, dVRowStride, dVHeadStride;
  /// Workspace written by the preprocessing kernel, [b][h][seqPad] each
  /// (varlen too: row q of sequence b at b's own slot): logsumexp in the
  /// log2 domain (+inf past the sequence) and D = rowsum(dO * O) (0 past it).
  float *lse2, *dsum;
  /// The fast path's dQ accumulator, [b][h][seqPad][padded qk head dim]
  /// fp32, zeroed by the preprocessing kernel, summed into with atomics by
  /// the fused dK/dV/dQ kernel, scaled and converted by the last kernel.
  /// Null on the deterministic path.
  float *dqAccum;
  /// The deterministic fused path (warp-specialized kernel): per query
  /// tile of kBwdOrderRows rows, [b][h][seqPad / kBwdOrderRows], how many
  /// key blocks have added their dQ; zeroed by the preprocessing kernel.
  /// Key blocks add in ascending order, so every dQ element sums its terms
  /// in one order (bit-identical runs). Null on the atomic fast path.
  int32_t *dqOrder;
  int32_t seqPad; // seqQ rounded up to a multiple of kBwdSeqPadding
  /// The kv-major kernels' CTAs per (key block, kv head): the group's query
  /// heads split kvSplit ways (GQA/MQA at short sequences, where one CTA per
  /// key block leaves SMs idle). 1: each CTA sums its whole group into dK/dV.
  /// More: CTA part j writes its heads' partial dK (scaled) and dV in fp32
  /// to plane j of dkvPartial, [kvSplit][b][kv head][seqPadK][headDimQK +
  /// headDimV] (bwdDkvPartialFloats), and the conversion kernel sums the
  /// planes in order (bit-identical runs, no atomics).
  int32_t kvSplit;
  int32_t seqPadK; // seqK rounded up to a multiple of kBwdSeqPadding
  float *dkvPartial;
  /// 0: dQ, dK, dV are written in the inputs' dtype. 1: they are fp32 and
  /// this launch's gradients are added to them: a caller summing the
  /// gradients of many launches (context parallelism's blocks) rounds once,
  /// at the end, instead of once per launch.
  int32_t accumulateF32;
  /// dO as a tensor map (as FwdParams' Q), for the warp-specialized
  /// backward; there f.tmaQ's boxes are its query tiles, f.tmaK's and
  /// f.tmaV's its resident key block.
  TmaDescriptor tmaDO;
};

} // namespace flashgen

#endif // FLASHGEN_ATTENTION_PARAMS_CUH
