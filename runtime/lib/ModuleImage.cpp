//===- ModuleImage.cpp - several CUBINs cached as one blob ----------------===//
#include "ModuleImage.h"

#include "llvm/Support/Endian.h"

#include <cstring>

using namespace flashgen::runtime;

namespace {
constexpr char kMagic[4] = {'F', 'G', 'M', 'I'};
constexpr char kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
/// Headers and images start 16 bytes apart (the loader reads each CUBIN in
/// place, as aligned as the blob itself).
constexpr size_t kAlign = 16;
size_t alignUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

void putU64(std::vector<char> &out, uint64_t v) {
  char b[8];
  llvm::support::endian::write64le(b, v);
  out.insert(out.end(), b, b + 8);
}
} // namespace

std::vector<char> flashgen::runtime::packModuleImages(llvm::ArrayRef<std::vector<char>> cubins) {
  std::vector<char> out(kMagic, kMagic + 4);
  out.resize(8, 0);
  putU64(out, cubins.size());
  for (const std::vector<char> &c : cubins) {
    putU64(out, c.size());
    out.resize(out.size() + 8, 0);
    out.insert(out.end(), c.begin(), c.end());
    out.resize(alignUp(out.size()), 0);
  }
  return out;
}

std::optional<std::vector<llvm::ArrayRef<char>>>
flashgen::runtime::unpackModuleImages(llvm::ArrayRef<char> blob) {
  if (blob.size() >= 4 && std::memcmp(blob.data(), kElfMagic, 4) == 0)
    return std::vector<llvm::ArrayRef<char>>{blob};
  if (blob.size() < kAlign || std::memcmp(blob.data(), kMagic, 4) != 0)
    return std::nullopt;
  const uint64_t count = llvm::support::endian::read64le(blob.data() + 8);
  size_t at = kAlign;
  if (count == 0 || count > (blob.size() - at) / kAlign)
    return std::nullopt;
  std::vector<llvm::ArrayRef<char>> images;
  for (uint64_t i = 0; i < count; ++i) {
    if (blob.size() - at < kAlign)
      return std::nullopt;
    const uint64_t size = llvm::support::endian::read64le(blob.data() + at);
    at += kAlign;
    if (size == 0 || size > blob.size() - at || alignUp(size) > blob.size() - at)
      return std::nullopt;
    images.push_back(blob.slice(at, size));
    at += alignUp(size);
  }
  if (at != blob.size())
    return std::nullopt; // trailing bytes: not what pack wrote
  return images;
}
