//===- KernelCache.cpp - compiled kernels in memory and on disk -*- C++ -*-===//
#include "flashgen/Runtime/KernelCache.h"
#include "flashgen/Runtime/CompilerSourceHash.h"
#include "flashgen/Runtime/EmbeddedTemplates.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/xxhash.h"
#include "llvm/Support/raw_ostream.h"

using namespace flashgen::runtime;

namespace {
// Version 2: the payload's checksum is XXH3-64 (version 1's SHA-256 of a
// 300 KB CUBIN took a millisecond of every disk hit; a checksum only has to
// catch torn or damaged files, the key is what must not collide).
constexpr llvm::StringLiteral kMagic = "FGKC2\n";

std::string checksumHex(llvm::ArrayRef<uint8_t> data) {
  return llvm::utohexstr(llvm::xxh3_64bits(data), /*LowerCase=*/true, /*Width=*/16);
}
llvm::ArrayRef<uint8_t> bytes(llvm::StringRef s) {
  return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

/// SHA-256 over NUL-separated fields, hex.
class KeyHasher {
public:
  void field(llvm::StringRef s) {
    h.update(bytes(s));
    h.update(bytes(llvm::StringRef("\0", 1))); // fields cannot run together
  }
  std::string hex() { return llvm::toHex(h.final(), /*LowerCase=*/true); }

private:
  llvm::SHA256 h;
};

} // namespace

std::string KernelCache::defaultDirectory() {
  if (std::optional<std::string> d = llvm::sys::Process::GetEnv("FLASHGEN_CACHE_DIR"))
    return *d == "off" ? std::string() : *d;
  llvm::SmallString<256> path;
  if (std::optional<std::string> x = llvm::sys::Process::GetEnv("XDG_CACHE_HOME"); x && !x->empty())
    path = *x;
  else if (!llvm::sys::path::home_directory(path))
    return "";
  else
    llvm::sys::path::append(path, ".cache");
  llvm::sys::path::append(path, "flashgen");
  return std::string(path);
}

KernelCache &KernelCache::global() {
  static KernelCache cache(defaultDirectory());
  return cache;
}

std::string KernelCache::makeKey(llvm::StringRef source, llvm::StringRef arch,
                                 llvm::ArrayRef<std::string> options,
                                 llvm::StringRef compilerVersion) {
  KeyHasher h;
  h.field("flashgen " FLASHGEN_VERSION);
  h.field(arch);
  for (const std::string &o : options)
    h.field(o);
  h.field(compilerVersion);
  h.field(embeddedTemplatesHash()); // taken at build time (EmbedTemplates.cmake)
  h.field(source);
  return h.hex();
}

std::string KernelCache::makeSpecKey(llvm::ArrayRef<llvm::StringRef> fields) {
  KeyHasher h;
  h.field("flashgen spec index " FLASHGEN_VERSION);
  h.field(embeddedTemplatesHash()); // taken at build time (EmbedTemplates.cmake)
  h.field(compilerSourceHash()); // what generated the indexed KernelSpec and source
  for (llvm::StringRef f : fields)
    h.field(f);
  return h.hex();
}

std::string KernelCache::entryPath(llvm::StringRef key) const {
  if (dir.empty())
    return "";
  llvm::SmallString<256> p(dir);
  llvm::sys::path::append(p, key + ".fgk");
  return std::string(p);
}

std::optional<std::vector<char>> KernelCache::readDisk(llvm::StringRef key) {
  std::string path = entryPath(key);
  if (path.empty())
    return std::nullopt;
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    return std::nullopt;
  llvm::StringRef data = (*buf)->getBuffer();
  auto bad = [&]() -> std::optional<std::vector<char>> {
    ++corrupt;
    llvm::sys::fs::remove(path); // rebuilt by the caller
    return std::nullopt;
  };
  // Header: magic, key line, size line, checksum line.
  if (!data.consume_front(kMagic))
    return bad();
  auto line = [&](llvm::StringRef &out) {
    size_t nl = data.find('\n');
    if (nl == llvm::StringRef::npos)
      return false;
    out = data.take_front(nl);
    data = data.drop_front(nl + 1);
    return true;
  };
  llvm::StringRef storedKey, sizeText, sum;
  uint64_t size = 0;
  if (!line(storedKey) || storedKey != key || !line(sizeText) ||
      sizeText.getAsInteger(10, size) || !line(sum) || data.size() != size ||
      checksumHex(bytes(data)) != sum)
    return bad();
  ++diskHits;
  return std::vector<char>(data.begin(), data.end());
}

std::optional<std::vector<char>> KernelCache::lookup(llvm::StringRef key) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = memory.find(key);
    if (it != memory.end()) {
      ++memoryHits;
      return it->second;
    }
  }
  if (std::optional<std::vector<char>> d = readDisk(key)) {
    std::lock_guard<std::mutex> lock(mutex);
    memory[key] = *d;
    return d;
  }
  ++misses;
  return std::nullopt;
}

llvm::Error KernelCache::store(llvm::StringRef key, llvm::ArrayRef<char> payload) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    memory[key] = std::vector<char>(payload.begin(), payload.end());
  }
  llvm::Error e = writeDisk(key, payload);
  if (!e)
    return e;
  const std::string why = llvm::toString(std::move(e));
  // Once per cache: a read-only or full directory would otherwise repeat
  // this on every compilation.
  if (diskFailures.fetch_add(1) == 0)
    llvm::errs() << "flashgen: warning: " << why
                 << "; compiled kernels stay in memory for this process (set "
                    "FLASHGEN_CACHE_DIR to a writable directory, or to 'off')\n";
  return llvm::createStringError(llvm::inconvertibleErrorCode(), why);
}

llvm::Error KernelCache::writeDisk(llvm::StringRef key, llvm::ArrayRef<char> payload) {
  std::string path = entryPath(key);
  if (path.empty())
    return llvm::Error::success();
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return llvm::createStringError(ec, "cannot create kernel cache directory '%s'",
                                   dir.c_str());
  // Unique temporary in the same directory, then an atomic rename: two
  // processes writing the same entry both succeed, readers see either none
  // or a whole one.
  int fd;
  llvm::SmallString<256> tmp;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%%%", fd, tmp))
    return llvm::createStringError(ec, "cannot write to kernel cache '%s'", dir.c_str());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    llvm::StringRef data(payload.data(), payload.size());
    os << kMagic << key << "\n" << payload.size() << "\n" << checksumHex(bytes(data))
       << "\n" << data;
    os.close();
    if (os.has_error()) {
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "short write to kernel cache '%s'", tmp.c_str());
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::sys::fs::remove(tmp);
    return llvm::createStringError(ec, "cannot rename '%s'", tmp.c_str());
  }
  return llvm::Error::success();
}

void KernelCache::clearMemory() {
  std::lock_guard<std::mutex> lock(mutex);
  memory.clear();
}
