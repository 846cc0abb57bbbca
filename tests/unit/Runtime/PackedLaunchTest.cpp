//===- PackedLaunchTest.cpp - the packed launch's views of q, o and lse ----===//
#include "flashgen/Runtime/PackedLaunch.h"

#include "flashgen/attention/Params.cuh" // pagedBoxRows

#include "gtest/gtest.h"

using namespace flashgen;
using namespace flashgen::runtime;

namespace {

codegen::KernelSpec spec128() {
  codegen::KernelSpec s;
  s.headDimQK = s.headDimV = 128;
  return s;
}

ForwardArgs decode(int batch, int heads, int kvHeads, int seqQ, Layout layout) {
  ForwardArgs a;
  a.batch = batch, a.heads = heads, a.kvHeads = kvHeads, a.seqQ = seqQ, a.seqK = 4096;
  a.layout = layout;
  return a;
}

TEST(PackedLaunch, OneQueryRowMakesTheHeadsRows) {
  // BSHD q [2][1][32][128]: packed row r of kv head h' is query head
  // 4 h' + r, 128 elements after the previous one.
  auto p = packedLaunchOf(spec128(), decode(2, 32, 8, 1, Layout::BSHD), 8);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->pack.group, 4);
  EXPECT_EQ(p->pack.heads, 32);
  EXPECT_TRUE(p->pack.singleQuery);
  EXPECT_EQ(p->args.heads, 8);
  EXPECT_EQ(p->args.kvHeads, 8);
  EXPECT_EQ(p->args.seqQ, 4);
  EXPECT_EQ(p->args.qStrides.batch, 32 * 128);
  EXPECT_EQ(p->args.qStrides.row, 128);
  EXPECT_EQ(p->args.qStrides.head, 4 * 128);
  EXPECT_EQ(p->args.oStrides.row, 128);
  // K/V: their own layout for 8 heads.
  EXPECT_EQ(p->args.kStrides.row, 8 * 128);
  EXPECT_EQ(p->args.kStrides.head, 128);
}

TEST(PackedLaunch, SeveralRowsNeedHeadsSeqQRowsApart) {
  // BHSD q [1][32][3][128]: rows of head 4 h' + j follow head j's, so row
  // r = 3 j + q has one row stride.
  auto p = packedLaunchOf(spec128(), decode(1, 32, 8, 3, Layout::BHSD), 8);
  ASSERT_TRUE(p.has_value());
  EXPECT_FALSE(p->pack.singleQuery);
  EXPECT_EQ(p->args.seqQ, 12);
  EXPECT_EQ(p->args.qStrides.row, 128);
  EXPECT_EQ(p->args.qStrides.head, 4 * 3 * 128);
  EXPECT_EQ(p->args.qStrides.batch, 32 * 3 * 128);
  // BSHD with 3 rows per head: no single row stride.
  EXPECT_FALSE(packedLaunchOf(spec128(), decode(1, 32, 8, 3, Layout::BSHD), 8).has_value());
}

TEST(PackedLaunch, RefusesWhatItCannotPack) {
  const codegen::KernelSpec s = spec128();
  EXPECT_FALSE(packedLaunchOf(s, decode(1, 32, 32, 1, Layout::BSHD), 32)); // no group
  EXPECT_FALSE(packedLaunchOf(s, decode(1, 32, 8, 33, Layout::BHSD), 8));  // 132 rows
  EXPECT_TRUE(packedLaunchOf(s, decode(1, 32, 8, 32, Layout::BHSD), 8));   // 128 rows
  EXPECT_FALSE(packedLaunchOf(s, decode(1, 30, 8, 1, Layout::BSHD), 8));   // 30 / 8
  ForwardArgs placed = decode(1, 32, 8, 1, Layout::BSHD);
  placed.positions.qOffset = 5; // part of a larger problem
  EXPECT_FALSE(packedLaunchOf(s, placed, 8));
  codegen::KernelSpec dropout = s;
  dropout.hasDropout = true;
  EXPECT_FALSE(packedLaunchOf(dropout, decode(1, 32, 8, 1, Layout::BSHD), 8));
  codegen::KernelSpec varlen = s;
  varlen.varlen = true;
  EXPECT_FALSE(packedLaunchOf(varlen, decode(1, 32, 8, 1, Layout::BSHD), 8));
}

} // namespace

namespace {

TEST(PackedLaunch, KeepsAPagedPoolAndAnEntryIndex) {
  // A paged pool's strides stay zero (the launch derives the pool's), and
  // the page table and K/V entry index travel with the packed launch.
  ForwardArgs a = decode(2, 32, 8, 1, Layout::BSHD);
  int32_t table[4] = {}, index[2] = {};
  a.pageTable = table;
  a.pageSize = 2048;
  a.numPages = 4;
  a.pageTableStride = 2;
  a.kvBatchIndex = index;
  a.kvBatch = 3;
  auto p = packedLaunchOf(spec128(), a, 8);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->args.kStrides.row, 0);
  EXPECT_EQ(p->args.vStrides.batch, 0);
  EXPECT_EQ(p->args.pageTable, table);
  EXPECT_EQ(p->args.pageSize, 2048);
  EXPECT_EQ(p->args.kvBatchIndex, index);
  EXPECT_EQ(p->args.kvBatch, 3);
}

TEST(PagedBoxRows, EachBoxStaysInsideAPage) {
  // Boxes of gcd(tile keys, page rows): one box where the page holds whole
  // tiles, page-sized boxes where pages are smaller, and 16-row boxes where
  // a page of 48 rows straddles 64-key tiles.
  EXPECT_EQ(pagedBoxRows(128, 256), 128);
  EXPECT_EQ(pagedBoxRows(128, 16), 16);
  EXPECT_EQ(pagedBoxRows(64, 48), 16);
  EXPECT_EQ(pagedBoxRows(128, 96), 32);
  for (int bn : {64, 128})
    for (int page = 16; page <= 512; page += 16) {
      const int box = pagedBoxRows(bn, page);
      EXPECT_EQ(bn % box, 0);
      EXPECT_EQ(page % box, 0);
      EXPECT_EQ(box % 16, 0) << "boxes of whole 8-row swizzle groups, 16-row multiples";
    }
}

} // namespace
