//===- TensorMaps.cpp - the TMA descriptors of a launch -------------------===//
#include "TensorMaps.h"

#include "flashgen/attention/Params.cuh" // shared with the kernels

#include <cstring>

using namespace flashgen;
using namespace flashgen::runtime;

namespace {
/// A tile map of `elemBytes` elements (CudaDriver::encodeTileMap) into the
/// kernels' descriptor.
llvm::Error encodeInto(CudaDriver &drv, TmaDescriptor &out, const void *base,
                       llvm::ArrayRef<uint64_t> dims, llvm::ArrayRef<uint64_t> strideBytes,
                       llvm::ArrayRef<uint32_t> box, int elemBytes) {
  static_assert(sizeof(CUtensorMap) == sizeof(TmaDescriptor), "the driver's tensor map");
  CUtensorMap map;
  if (llvm::Error e = drv.encodeTileMap(map, base, dims, strideBytes, box, elemBytes))
    return e;
  std::memcpy(&out, &map, sizeof(map));
  return llvm::Error::success();
}

/// A Q/K/V/dO-shaped tensor as the warp-specialized kernels' TMA sees it:
/// dims (head dim, row, head, batch entry), boxes of 64 columns x
/// `boxRows`, over `batchEntries` entries (0: the launch's). Varlen
/// tensors (and paged pools) are one batch entry of all rows; rows
/// past a sequence are the next one's (masked by the kernel) or out of
/// bounds (zeros). buildParams already checked the strides (multiples of 8
/// elements = 16 bytes, what the copy engine needs).
llvm::Error encodeRowsMap(CudaDriver &drv, const codegen::KernelSpec &s, const ForwardArgs &a,
                          TmaDescriptor &out, const void *base, int64_t headDim, int64_t rows,
                          int64_t heads, int64_t rowStride, int64_t headStride,
                          int64_t batchStride, int64_t boxRows, int64_t batchEntries = 0) {
  const int64_t batch = batchEntries ? batchEntries : s.varlen ? 1 : a.batch;
  // A dimension of extent 1 is never stepped: any valid stride does.
  // fp8 inputs: one byte per element, boxes of 128 (one 128-byte atom).
  const int elemBytes = s.inputBytes();
  auto stride = [&](int64_t elems, int64_t extent, int64_t fallbackBytes) {
    return extent == 1 || elems == 0 ? uint64_t(fallbackBytes) : uint64_t(elems) * elemBytes;
  };
  const uint64_t rowBytes = stride(rowStride, rows, 16);
  const uint64_t headBytes = stride(headStride, heads, rowBytes * uint64_t(rows));
  const uint64_t batchBytes = stride(batchStride, batch, headBytes * uint64_t(heads));
  return encodeInto(drv, out, base,
                    {uint64_t(headDim), uint64_t(rows), uint64_t(heads), uint64_t(batch)},
                    {rowBytes, headBytes, batchBytes},
                    {128u / uint32_t(elemBytes), uint32_t(boxRows), 1u, 1u}, elemBytes);
}
} // namespace

/// Q, K and V of `p` with boxes of `qRows` and `kvRows` rows: the
/// forward's tiles, or the backward's streamed and resident blocks.
llvm::Error flashgen::runtime::encodeQKVMaps(CudaDriver &drv, const codegen::KernelSpec &s, const ForwardArgs &a,
                          FwdParams &p, int64_t qRows, int64_t kvRows) {
  const int64_t rowsQ = s.varlen ? a.totalQ : a.seqQ, rowsK = s.varlen ? a.totalK : a.seqK;
  if (llvm::Error e = encodeRowsMap(drv, s, a, p.tmaQ, p.q, p.headDimQK, rowsQ, p.heads,
                                    p.qRowStride, p.qHeadStride, p.qBatchStride, qRows))
    return e;
  // A paged pool is one batch entry of all its rows (batch strides 0),
  // loaded in boxes inside a page; K/V of more entries than the batch
  // (kvBatchIndex picks them) have their own entry count.
  const bool paged = p.pageTable != nullptr;
  const int64_t rowsKV = paged ? p.poolRows : rowsK,
                box = paged ? pagedBoxRows(int(kvRows), p.pageSize) : kvRows,
                entries = paged ? 1 : a.kvBatchIndex ? a.kvBatch : 0;
  if (llvm::Error e = encodeRowsMap(drv, s, a, p.tmaK, p.k, p.headDimQK, rowsKV, p.kvHeads,
                                    p.kRowStride, p.kHeadStride, p.kBatchStride, box, entries))
    return e;
  // fp8 prefill: V^T (FwdFp8.cuh), dims (key position, head-dim row, kv
  // head, batch entry), boxes of 128 keys x every row of the padded head
  // dim. (A decoding launch's kernel transposes V itself: V's map.)
  if (p.vTransposed) {
    const uint64_t row = uint64_t(p.vtKeys), head = row * uint64_t(p.headDimV),
                   batch = head * uint64_t(p.kvHeads);
    return encodeInto(drv, p.tmaV, p.vTransposed,
                      {row, uint64_t(p.headDimV), uint64_t(p.kvHeads), uint64_t(a.batch)},
                      {row, head, batch}, {128u, uint32_t(s.paddedV), 1u, 1u}, 1);
  }
  return encodeRowsMap(drv, s, a, p.tmaV, p.v, p.headDimV, rowsKV, p.kvHeads, p.vRowStride,
                       p.vHeadStride, p.vBatchStride, box, entries);
}

/// The warp-specialized backward's maps: Q and dO by streamed tile, K and
/// V by resident key block (BwdKernelSm90Ws.cuh; the wide kernel's,
/// BwdKernelSm90Wide.cuh, when it is the fused one).
llvm::Error flashgen::runtime::encodeBackwardTensorMaps(CudaDriver &drv, const codegen::KernelSpec &s,
                                     const ForwardArgs &a, BwdParams &p) {
  const attn::TileConfig &t = *s.bwdTiles;
  const int64_t streamed = s.bwdWide() ? kBwdWideStream : t.blockM;
  if (llvm::Error e = encodeQKVMaps(drv, s, a, p.f, streamed, s.bwdResidentRows(true)))
    return e;
  const int64_t rowsQ = s.varlen ? a.totalQ : a.seqQ;
  return encodeRowsMap(drv, s, a, p.tmaDO, p.dO, p.f.headDimV, rowsQ, p.f.heads, p.dORowStride,
                       p.dOHeadStride, p.dOBatchStride, streamed);
}
