//===- TileClassCapture.cpp - the tile classes a forward built ------------===//
#include "flashgen/Runtime/TileClassCapture.h"

using namespace flashgen::runtime;

namespace {
thread_local TileClassCapture *current = nullptr;
} // namespace

TileClassCapture::TileClassCapture() : previous(current) { current = this; }

TileClassCapture::~TileClassCapture() { current = previous; }

TileClassCapture *TileClassCapture::active() { return current; }

std::array<int64_t, 3> TileClassCapture::counts() const {
  std::array<int64_t, 3> n{0, 0, 0};
  for (uint8_t c : classes)
    if (c < 3)
      ++n[c];
  return n;
}
