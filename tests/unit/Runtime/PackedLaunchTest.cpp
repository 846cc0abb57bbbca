//===- PackedLaunchTest.cpp - the packed launch's views of q, o and lse ----===//
#include "flashgen/Runtime/PackedLaunch.h"

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
