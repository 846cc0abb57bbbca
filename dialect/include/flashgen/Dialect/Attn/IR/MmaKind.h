//===- MmaKind.h - which tensor-core instruction a kernel uses --*- C++ -*-===//
//
// Stored as an integer in #attn.tiling (`mma = sync | wgmma`, absent when
// free), chosen by the tiling model, honoured by codegen.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_DIALECT_ATTN_IR_MMAKIND_H
#define FLASHGEN_DIALECT_ATTN_IR_MMAKIND_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>

namespace flashgen::attn {

enum class MmaKind : int64_t {
  Free = 0,  // not fixed (a user override that leaves the choice open)
  Sync = 1,  // mma.sync m16n8k16, sm_80 and later
  Wgmma = 2, // warpgroup MMA from shared memory, sm_90a only
};

inline llvm::StringRef stringifyMmaKind(MmaKind k) {
  switch (k) {
  case MmaKind::Sync:
    return "sync";
  case MmaKind::Wgmma:
    return "wgmma";
  case MmaKind::Free:
    break;
  }
  return "free";
}

inline std::optional<MmaKind> parseMmaKind(llvm::StringRef s) {
  if (s == "sync")
    return MmaKind::Sync;
  if (s == "wgmma")
    return MmaKind::Wgmma;
  return std::nullopt;
}

} // namespace flashgen::attn

#endif // FLASHGEN_DIALECT_ATTN_IR_MMAKIND_H
