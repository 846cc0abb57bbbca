//===- KernelCache.h - compiled kernels in memory and on disk ---*- C++ -*-===//
//
// Key: SHA-256 over everything that determines the binary: the generated
// source (which spells out every specialization parameter), the target
// arch, the NVRTC options and version, a hash of the embedded templates
// and flashgen's version. Disk entries live in $FLASHGEN_CACHE_DIR, else
// $XDG_CACHE_HOME/flashgen, else ~/.cache/flashgen ("off" disables them).
// Spec-index entries (makeSpecKey: spec text, pass, device) hold what a
// launch needs and the CUBIN's key, so a new process skips the frontend.
//
// An entry is `FGKC3\n`, the key, the payload size and the payload's
// XXH3-64 checksum, spaces to a 256-byte header, then the payload (read in
// place: mapped, 256-byte aligned). It is written to a unique temporary file and
// renamed into place, so readers never see half an entry; an entry whose
// header, key or checksum does not match is reported as corrupt, deleted
// and rebuilt, never loaded. All methods are thread-safe.
//
//===----------------------------------------------------------------------===//
#ifndef FLASHGEN_RUNTIME_KERNELCACHE_H
#define FLASHGEN_RUNTIME_KERNELCACHE_H

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <atomic>
#include <mutex>
#include <memory>
#include <string>
#include <vector>

namespace flashgen::runtime {

class KernelCache {
public:
  /// `dir` empty: memory only.
  explicit KernelCache(std::string dir) : dir(std::move(dir)) {}

  /// The process-wide cache in the default directory.
  static KernelCache &global();
  static std::string defaultDirectory();

  /// The cache key (hex SHA-256) of a compilation.
  static std::string makeKey(llvm::StringRef source, llvm::StringRef arch,
                             llvm::ArrayRef<std::string> options,
                             llvm::StringRef compilerVersion);
  /// The key of a spec-index entry: flashgen's version, templates and code
  /// generator (compilerSourceHash) plus
  /// `fields` (whatever decides the generated code: spec text, variant,
  /// pass, the device's description, the compiler's options).
  static std::string makeSpecKey(llvm::ArrayRef<llvm::StringRef> fields);

  /// What this object stored (a copy), else the disk entry's payload,
  /// mapped in place and checked against its key, size and checksum (a
  /// damaged entry is removed); null on a miss. Disk hits are not kept in
  /// memory: the JIT keeps what it loads.
  std::unique_ptr<llvm::MemoryBuffer> lookup(llvm::StringRef key);
  /// A looked-up payload's bytes.
  static llvm::ArrayRef<char> bytes(const llvm::MemoryBuffer &b) {
    return {b.getBufferStart(), b.getBufferSize()};
  }
  /// Stores in memory and (best effort) on disk; a disk failure is returned
  /// but the entry stays usable from memory, and the first one of this
  /// cache is also printed as a warning (a read-only or full directory).
  llvm::Error store(llvm::StringRef key, llvm::ArrayRef<char> payload);

  /// Path of the disk entry for `key` ("" without a directory).
  std::string entryPath(llvm::StringRef key) const;
  void clearMemory();

  std::atomic<unsigned> memoryHits{0}, diskHits{0}, misses{0}, corrupt{0}, diskFailures{0};

private:
  std::unique_ptr<llvm::MemoryBuffer> readDisk(llvm::StringRef key);
  llvm::Error writeDisk(llvm::StringRef key, llvm::ArrayRef<char> payload);

  std::string dir;
  std::mutex mutex;
  llvm::StringMap<std::vector<char>> memory;
};

} // namespace flashgen::runtime

#endif // FLASHGEN_RUNTIME_KERNELCACHE_H
