//===- TileClassCapture.h - the tile classes a forward built ----*- C++ -*-===//
//
// The run-time tile classes (TileClasses.cuh) live in stream-ordered memory
// for one launch. For checks and reports, a TileClassCapture alive on the
// calling thread has the next forward launch with run-time classes copy
// them to the host after its builder (synchronizing the device once), so
// `flashgen run` can report the classes measured at the shape and the GPU
// tests can hold them against the mask, element by element
// (runtime::referenceTileClasses). Only the first launch is captured, so
// timed launches after it run as usual.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_TILECLASSCAPTURE_H
#define FLASHGEN_RUNTIME_TILECLASSCAPTURE_H

#include <array>
#include <cstdint>
#include <vector>

namespace flashgen::runtime {

class TileClassCapture {
public:
  TileClassCapture();
  ~TileClassCapture();
  TileClassCapture(const TileClassCapture &) = delete;
  TileClassCapture &operator=(const TileClassCapture &) = delete;

  /// The capture the forward launches on this thread fill, or null.
  static TileClassCapture *active();

  bool captured = false;
  /// The builder's bytes: [((b * headSlots + h) * rowBlocks + rowBlock) *
  /// tiles + tile], TileClassCode values (0 empty, 1 full, 2 partial).
  std::vector<uint8_t> classes;
  int rows = 0, keys = 0;  // a tile's query rows and keys
  int batch = 0, headSlots = 0, rowBlocks = 0, tiles = 0;

  /// Tiles per class: [empty, full, partial].
  std::array<int64_t, 3> counts() const;

private:
  TileClassCapture *previous;
};

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_TILECLASSCAPTURE_H
