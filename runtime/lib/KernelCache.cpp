//===- KernelCache.cpp - compiled kernels in memory and on disk -*- C++ -*-===//
#include "flashgen/Runtime/KernelCache.h"
#include "flashgen/Runtime/CompilerSourceHash.h"
#include "flashgen/Runtime/EmbeddedTemplates.h"

#include "llvm/ADT/ScopeExit.h"
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
// Version 3: the header padded to kHeaderBytes, so that a payload mapped in
// place is as aligned as the CUBINs in it need (ModuleImage.cpp).
constexpr llvm::StringLiteral kMagic = "FGKC3\n";
constexpr size_t kHeaderBytes = 256;

std::string checksumHex(llvm::ArrayRef<uint8_t> data) {
  return llvm::utohexstr(llvm::xxh3_64bits(data), /*LowerCase=*/true, /*Width=*/16);
}
llvm::ArrayRef<uint8_t> asBytes(llvm::StringRef s) {
  return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

/// SHA-256 over NUL-separated fields, hex.
class KeyHasher {
public:
  void field(llvm::StringRef s) {
    h.update(asBytes(s));
    h.update(asBytes(llvm::StringRef("\0", 1))); // fields cannot run together
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

std::unique_ptr<llvm::MemoryBuffer> KernelCache::readDisk(llvm::StringRef key) {
  std::string path = entryPath(key);
  if (path.empty())
    return nullptr;
  // The header, then the payload mapped from the same open file (a 300 KB
  // CUBIN read into a vector, then copied into the memory map, took a new
  // process's disk hit ~0.3 ms of its 1 ms budget on the CPU machine;
  // mapped and hashed in place, ~0.06 ms).
  llvm::Expected<llvm::sys::fs::file_t> file = llvm::sys::fs::openNativeFileForRead(path);
  if (!file) {
    llvm::consumeError(file.takeError());
    return nullptr;
  }
  auto closeFile = llvm::make_scope_exit([&] { llvm::sys::fs::closeFile(*file); });
  auto bad = [&]() -> std::unique_ptr<llvm::MemoryBuffer> {
    ++corrupt;
    llvm::sys::fs::remove(path); // rebuilt by the caller
    return nullptr;
  };
  // Header: magic, key line, size line, checksum line, spaces and a
  // newline up to kHeaderBytes.
  char headBytes[kHeaderBytes];
  llvm::Expected<size_t> got =
      llvm::sys::fs::readNativeFile(*file, llvm::MutableArrayRef<char>(headBytes));
  if (!got) {
    llvm::consumeError(got.takeError());
    return bad();
  }
  llvm::StringRef head(headBytes, *got);
  if (head.size() != kHeaderBytes || !head.consume_front(kMagic))
    return bad();
  auto line = [&](llvm::StringRef &out) {
    size_t nl = head.find('\n');
    if (nl == llvm::StringRef::npos)
      return false;
    out = head.take_front(nl);
    head = head.drop_front(nl + 1);
    return true;
  };
  llvm::StringRef storedKey, sizeText, sum;
  uint64_t size = 0;
  if (!line(storedKey) || storedKey != key || !line(sizeText) ||
      sizeText.getAsInteger(10, size) || !line(sum) || head.empty() ||
      head.drop_back().find_first_not_of(' ') != llvm::StringRef::npos || head.back() != '\n')
    return bad();
  llvm::sys::fs::file_status st;
  if (llvm::sys::fs::status(*file, st) || st.getSize() != kHeaderBytes + size)
    return bad();
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> payload =
      llvm::MemoryBuffer::getOpenFileSlice(*file, path, size, int64_t(kHeaderBytes));
  if (!payload || checksumHex(asBytes((*payload)->getBuffer())) != sum)
    return bad();
  ++diskHits;
  return std::move(*payload);
}

std::unique_ptr<llvm::MemoryBuffer> KernelCache::lookup(llvm::StringRef key) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = memory.find(key);
    if (it != memory.end()) {
      ++memoryHits;
      return llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(it->second.data(), it->second.size()), key);
    }
  }
  if (std::unique_ptr<llvm::MemoryBuffer> d = readDisk(key))
    return d;
  ++misses;
  return nullptr;
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
    std::string head = (kMagic + key + "\n" + llvm::Twine(payload.size()) + "\n" +
                        checksumHex(asBytes(data)) + "\n")
                           .str();
    if (head.size() >= kHeaderBytes) {
      os.close();
      llvm::sys::fs::remove(tmp);
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "kernel cache key too long: '%s'", key.str().c_str());
    }
    head.append(kHeaderBytes - 1 - head.size(), ' ');
    os << head << "\n" << data;
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
