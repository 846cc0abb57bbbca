//===- JitConcurrencyTest.cpp - the JIT's caches under concurrent use ----===//
//
// 8 processes x 8 threads JIT overlapping variants into one fresh cache
// directory at once (each thread walks the same six variants from its own
// starting point, so every variant is compiled, stored and loaded by many
// threads and processes together), launch each and check it against the
// float64 reference. Then no temporary file is left in the directory, and
// a fresh process finds every variant on disk (a cache hit, no NVRTC) and
// its kernels still pass. The workers are this binary again, started with
// posix_spawn (a CUDA context does not survive fork) and running the
// disabled test below.
//
//===----------------------------------------------------------------------===//
#include "GpuTestUtil.h"

#include "flashgen/Runtime/Check.h"
#include "flashgen/Runtime/Runtime.h"

#include "llvm/Support/FileSystem.h"

#include "gtest/gtest.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <vector>

extern char **environ;

using namespace flashgen;

namespace {

constexpr int kProcesses = 8, kThreads = 8;

/// Six variants no other GPU test compiles (head dims 40 and 72, names of
/// their own), so the parent's process cache cannot answer for them.
std::vector<std::pair<std::string, std::string>> stressVariants() {
  const std::pair<int, const char *> kinds[] = {
      {40, "mask = causal;"},
      {40, ""},
      {40, "mask = sliding_window(left = 64);"},
      {40, "score = 20.0 * tanh(score / 20.0);"},
      {72, "mask = causal;"},
      {72, ""},
  };
  std::vector<std::pair<std::string, std::string>> v;
  for (const auto &[d, body] : kinds) {
    const std::string name = "jit_stress_" + std::to_string(v.size());
    v.emplace_back(name, "attention " + name + " { dtype = bf16; head_dim = " +
                             std::to_string(d) + "; " + body + " }");
  }
  return v;
}

/// JITs `text` and checks a launch against the float64 reference; "" when
/// it passed, else what went wrong. `fromDisk`: also require a cache hit.
std::string jitAndCheck(const std::string &name, const std::string &text, uint64_t seed,
                        bool fromDisk) {
  llvm::Expected<std::unique_ptr<Kernel>> k = Kernel::fromSpec(text, name + ".attn");
  if (!k)
    return name + ": " + llvm::toString(k.takeError());
  if (fromDisk && !(*k)->stats().cacheHit)
    return name + ": compiled again, not found in the cache directory";
  runtime::CheckOptions opt;
  opt.seqQ = 97;
  opt.seqK = 131;
  opt.seed = seed;
  llvm::Expected<runtime::CheckReport> r = runtime::checkForward(**k, text, opt);
  if (!r)
    return name + ": " + llvm::toString(r.takeError());
  return r->passed() ? "" : name + ": " + r->summary();
}

/// Starts this binary running only the worker test, in `mode`, on the
/// cache directory `dir`; returns its pid (or -1).
pid_t spawnWorker(const std::string &dir, const std::string &mode) {
  std::vector<std::string> env;
  for (char **e = environ; *e; ++e)
    if (std::strncmp(*e, "FLASHGEN_CACHE_DIR=", 19) && std::strncmp(*e, "FLASHGEN_JIT_WORKER=", 20))
      env.emplace_back(*e);
  env.push_back("FLASHGEN_CACHE_DIR=" + dir);
  env.push_back("FLASHGEN_JIT_WORKER=" + mode);
  std::vector<std::string> args = {"/proc/self/exe", "--gtest_also_run_disabled_tests",
                                   "--gtest_filter=GpuJit.DISABLED_Worker"};
  std::vector<char *> argv, envp;
  for (std::string &a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string &e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), envp.data()) != 0)
    return -1;
  return pid;
}

bool exitedCleanly(pid_t pid) {
  int status = 0;
  return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

class GpuJit : public gputest::GpuTest {};

TEST_F(GpuJit, ConcurrentProcessesAndThreads) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("flashgen-jit-stress", dir));
  std::vector<pid_t> workers;
  for (int p = 0; p < kProcesses; ++p)
    workers.push_back(spawnWorker(std::string(dir), std::to_string(p)));
  int failed = 0;
  for (pid_t pid : workers)
    failed += pid < 0 || !exitedCleanly(pid);
  EXPECT_EQ(failed, 0) << "worker processes failed (their output is above)";

  // Every entry whole: no temporary file left, and a fresh process loads
  // every variant from disk and passes again.
  std::error_code ec;
  int entries = 0;
  for (llvm::sys::fs::recursive_directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    EXPECT_EQ(llvm::StringRef(it->path()).find(".tmp-"), llvm::StringRef::npos) << it->path();
    ++entries;
  }
  EXPECT_GT(entries, 0);
  EXPECT_TRUE(exitedCleanly(spawnWorker(std::string(dir), "verify")))
      << "a fresh process did not find every variant on disk";
  gputest::appendReport("jit_concurrency " + std::to_string(kProcesses) + " processes x " +
                        std::to_string(kThreads) + " threads x " +
                        std::to_string(stressVariants().size()) + " variants: " +
                        (failed ? "FAIL" : "ok") + ", " + std::to_string(entries) +
                        " cache files");
  llvm::sys::fs::remove_directories(dir);
}

/// A worker of the test above (FLASHGEN_JIT_WORKER: its process number, or
/// "verify"); skipped when run by hand without it.
TEST_F(GpuJit, DISABLED_Worker) {
  const char *mode = std::getenv("FLASHGEN_JIT_WORKER");
  if (!mode)
    GTEST_SKIP() << "a worker of GpuJit.ConcurrentProcessesAndThreads";
  const auto variants = stressVariants();
  if (std::string(mode) == "verify") {
    for (size_t i = 0; i < variants.size(); ++i) {
      const std::string err = jitAndCheck(variants[i].first, variants[i].second, 1000 + i, true);
      EXPECT_EQ(err, "");
    }
    return;
  }
  const int p = std::atoi(mode);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (size_t n = 0; n < variants.size() && errors[t].empty(); ++n) {
        const auto &[name, text] = variants[(n + t + p) % variants.size()];
        errors[t] = jitAndCheck(name, text, uint64_t(p) * 1000 + t * 10 + n, false);
      }
    });
  for (std::thread &th : threads)
    th.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(errors[t], "") << "process " << p << " thread " << t;
}

} // namespace
